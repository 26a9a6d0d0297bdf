import { describe, expect, it } from 'vitest';
import { Host, type IrqArch, type IrqchipRoutingEntry, Vm } from '../src/index.js';

// A chip that records the last level it was driven to.
function vmWith(arch: IrqArch): { vm: Vm; levels: boolean[] } {
  const levels: boolean[] = [];
  const vm = new Vm({ host: new Host(), arch });
  vm.addChip({
    id: 0,
    pins: 4,
    setLevel(_pin, level) {
      levels.push(level);
      return 1;
    },
  });
  const entry: IrqchipRoutingEntry = { gsi: 1, kind: 'irqchip', chip: 0, pin: 1 };
  vm.setGsiRouting([entry]);
  return { vm, levels };
}

describe('CORE §8 irqLine level mapping (arch hook)', () => {
  it('CORE-8.1: without a hook any non-zero u32 level asserts', () => {
    const { vm, levels } = vmWith({ name: 'plain' });
    vm.irqLine({ gsi: 1, level: 0xfffffffe });
    vm.irqLine({ gsi: 1, level: 0 });
    expect(levels).toEqual([true, false]);
  });

  it('CORE-8.1: an arch irqLineLevel hook maps numeric levels; booleans bypass it', () => {
    const seen: number[] = [];
    const arch: IrqArch = {
      name: 'mapped',
      irqLineLevel(level) {
        seen.push(level);
        return level !== 0 && level !== 0xfffffffe;
      },
    };
    const { vm, levels } = vmWith(arch);
    vm.irqLine({ gsi: 1, level: 0xfffffffd });
    vm.irqLine({ gsi: 1, level: 0xfffffffe });
    vm.irqLine({ gsi: 1, level: true });
    expect(levels).toEqual([true, false, true]);
    expect(seen).toEqual([0xfffffffd, 0xfffffffe]);
  });

  it('CORE-8.1: the level is still validated as a u32 before the hook runs', () => {
    let called = false;
    const { vm, levels } = vmWith({
      name: 'mapped',
      irqLineLevel() {
        called = true;
        return true;
      },
    });
    expect(() => vm.irqLine({ gsi: 1, level: -1 })).toThrow(/EINVAL/);
    expect(called).toBe(false);
    expect(levels).toEqual([]);
  });
});
