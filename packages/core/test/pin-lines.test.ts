import { describe, expect, it } from 'vitest';
import { Host, type IrqChip, Vm } from '../src/index.js';

describe('per-pin source bitmaps behind compiled routes', () => {
  it('CORE-3.1: a route compiled before a free or a restore still sees the pin’s current bitmap', () => {
    const seen: boolean[] = [];
    const chip: IrqChip = {
      id: 0,
      pins: 4,
      setLevel: (_pin, level) => {
        seen.push(level);
        return 1;
      },
    };
    const vm = new Vm({ host: new Host(), arch: { name: 't' } });
    vm.addChip(chip);
    vm.setGsiRouting([{ gsi: 1, kind: 'irqchip', chip: 0, pin: 1 } as never]);
    const id = vm.requestSourceId();
    vm.setIrq(id, 1, true);
    const saved = vm.save();
    vm.freeSourceId(id); // clears the bit in place
    vm.setIrq(0, 1, false);
    expect(seen.at(-1)).toBe(false);
    vm.restore(saved); // restores the bit in place (and recompiles the table)
    vm.setIrq(0, 1, false);
    expect(seen.at(-1)).toBe(true);
    expect(vm.lineSources(0, 1)).toEqual([id]);
    expect(vm.lines.bitsOf(9)).toBeUndefined();
  });
});
