import { describe, expect, it } from 'vitest';
import {
  errnoToCode,
  Host,
  IrqError,
  type MsiMessage,
  type RoutingEntry,
  Vm,
} from '../src/index.js';

describe('CORE §2 MSI delivery errors', () => {
  it('CORE-2.5: an MSI sink that throws IrqError counts a delivery error on a route; signalMsi throws', () => {
    const vm = new Vm({
      host: new Host(),
      arch: {
        name: 't',
        msi: {
          deliverMsi(msg: MsiMessage) {
            if (msg.devid === undefined) throw new IrqError('EINVAL', 'no devid');
            return 1;
          },
        },
      },
    });
    const table: RoutingEntry[] = [
      { gsi: 3, kind: 'msi', addressLo: 0x1000, addressHi: 0, data: 1 },
    ];
    vm.setGsiRouting(table);
    expect(vm.setIrq(0, 3, true)).toBe(-1);
    expect(vm.counters.get('deliveryErrors')).toBe(1);
    expect(() => vm.signalMsi({ addressLo: 0x1000, addressHi: 0, data: 1 })).toThrow(IrqError);
    expect(vm.signalMsi({ addressLo: 0x1000, addressHi: 0, data: 1, flags: 1, devid: 2 })).toBe(1);
  });
});

describe('CORE §0.2 errors', () => {
  it('CORE-0.3: EACCES maps to errno 13 and back', () => {
    expect(new IrqError('EACCES', 'x').errno).toBe(13);
    expect(errnoToCode(-13)).toBe('EACCES');
  });
});
