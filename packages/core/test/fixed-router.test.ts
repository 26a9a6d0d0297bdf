import { describe, expect, it } from 'vitest';
import {
  type GsiRouter,
  Host,
  type IrqchipRoutingEntry,
  type RouteTarget,
  type RoutingEntryBase,
  Vm,
} from '../src/index.js';

// An identity router like POWER XICS's: gsi n → one target that records the level.
function identityRouter(log: Array<[number, boolean]>): GsiRouter {
  const targets = new Map<number, readonly RouteTarget[]>();
  return {
    targets(gsi) {
      let t = targets.get(gsi);
      if (t === undefined) {
        const entry: IrqchipRoutingEntry = { gsi, kind: 'irqchip', chip: 0, pin: gsi };
        const set = (_s: number, level: boolean): number => {
          log.push([gsi, level]);
          return 0;
        };
        t = [{ entry, set, setInatomic: set }];
        targets.set(gsi, t);
      }
      return t;
    },
    gsiFor: (chip, pin) => (chip === 0 ? pin : -1),
    entriesFor: (gsi): RoutingEntryBase[] => [{ gsi, kind: 'irqchip' }],
    entries: () => [],
  };
}

describe('CORE §8 a VM with a fixed router (no routing table)', () => {
  it('CORE-8.2: signalMsi is refused with ENOTTY when there is no table and no MSI sink', () => {
    const vm = new Vm({ host: new Host(), arch: { name: 'fixed' }, router: identityRouter([]) });
    expect(() => vm.signalMsi({ addressLo: 0, addressHi: 0, data: 0 })).toThrow(/ENOTTY/);
  });

  it('CORE-8.2: a table-based VM without an MSI sink still answers EINVAL', () => {
    const vm = new Vm({ host: new Host(), arch: { name: 'plain' } });
    expect(() => vm.signalMsi({ addressLo: 0, addressHi: 0, data: 0 })).toThrow(/EINVAL/);
  });

  it('CORE-1.3: setGsiRouting is refused with ENOTTY and setIrq goes through the fixed map', () => {
    const log: Array<[number, boolean]> = [];
    const vm = new Vm({ host: new Host(), arch: { name: 'fixed' }, router: identityRouter(log) });
    expect(() => vm.setGsiRouting([])).toThrow(/ENOTTY/);
    expect(vm.setIrq(0, 0x1234, true)).toBe(0);
    expect(log).toEqual([[0x1234, true]]);
    expect(vm.save().routing).toBeNull();
  });
});
