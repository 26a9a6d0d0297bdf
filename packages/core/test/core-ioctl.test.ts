import { describe, expect, it } from 'vitest';
import {
  EventFd,
  IrqError,
  type MsiMessage,
  ROUTE_FLAG_VALID_DEVID,
  USERSPACE_SOURCE_ID,
} from '../src/index.js';
import { EDGE, expectIrqError, LEVEL, msiRoute, pinRoute, setup } from './core-fixtures.js';

const MSG: MsiMessage = { addressLo: 0xfee0_0000, addressHi: 0, data: 0x31 };

describe('CORE §8 irqLine and signalMsi', () => {
  it('CORE-8.1: irqLine is setIrq(USERSPACE, gsi, level, lineStatus = withStatus) and returns { status }', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5), pinRoute(5, LEVEL, 5)]);
    const sources: number[][] = [];
    f.edge.onSetLevel = (pin) => sources.push(f.vm.lineSources(EDGE, pin));
    expect(f.vm.irqLine({ gsi: 5, level: 1 }, { withStatus: true })).toEqual({ status: 2 });
    expect(sources).toEqual([[USERSPACE_SOURCE_ID]]);
    expect(f.edge.calls[0]!.lineStatus).toBe(true);
    // level is "asserted" for any non-zero value; 0 de-asserts
    expect(f.vm.irqLine({ gsi: 5, level: 0 }).status).toBe(2); // both chips report 1 (CORE-0.2)
    expect(f.vm.lineSources(EDGE, 5)).toEqual([]);
    f.vm.irqLine({ gsi: 5, level: 7 });
    expect(f.vm.lineSources(EDGE, 5)).toEqual([USERSPACE_SOURCE_ID]);
    f.vm.irqLine({ gsi: 5, level: false });
    expect(f.edge.edges[5]).toBe(2); // an edge needs 1 then 0
  });

  it('CORE-8.1: the ioctl succeeds with status -1 when unrouted or masked; bad arguments are EINVAL', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    f.level.mask(10);
    expect(f.vm.irqLine({ gsi: 10, level: 1 }, { withStatus: true })).toEqual({ status: -1 });
    expect(f.vm.irqLine({ gsi: 200, level: 1 }, { withStatus: true })).toEqual({ status: -1 });
    expectIrqError(() => f.vm.irqLine({ gsi: -1, level: 1 }), 'EINVAL');
    expectIrqError(() => f.vm.irqLine({ gsi: 2 ** 32, level: 1 }), 'EINVAL');
    expectIrqError(() => f.vm.irqLine({ gsi: 5, level: -1 }), 'EINVAL');
  });

  it('CORE-8.1: without an in-kernel irqchip irqLine is ENXIO; an arch checkIrqLine hook decides when present', () => {
    const bare = setup({ chips: false });
    expectIrqError(() => bare.vm.irqLine({ gsi: 5, level: 1 }), 'ENXIO');
    let created = false;
    const f = setup({
      arch: {
        checkIrqLine: () => {
          if (!created) throw new IrqError('ENXIO', 'no irqchip yet');
        },
      },
    });
    expectIrqError(() => f.vm.irqLine({ gsi: 5, level: 1 }), 'ENXIO');
    created = true;
    expect(f.vm.irqLine({ gsi: 5, level: 1 })).toEqual({ status: -1 });
  });

  it('CORE-8.2: signalMsi delivers a transient message at level 1 and returns the Delivery (> 0, 0, -1), never throwing for it', () => {
    const f = setup();
    expect(f.vm.signalMsi(MSG)).toBe(1);
    f.msi.result = 0;
    expect(f.vm.signalMsi(MSG)).toBe(0);
    f.msi.result = -1;
    expect(f.vm.signalMsi(MSG)).toBe(-1);
    const devid = { ...MSG, flags: ROUTE_FLAG_VALID_DEVID, devid: 0x10 };
    f.msi.result = 3;
    expect(f.vm.signalMsi(devid)).toBe(3);
    expect(f.msi.delivered).toEqual([MSG, MSG, MSG, devid]);
    // no routing entry was needed, none was created
    expect(f.vm.save().routing).toEqual([]);
  });

  it('CORE-8.2: no MSI support, flags other than VALID_DEVID, bad fields or an arch-refused message are EINVAL', () => {
    const none = setup({ msi: false });
    expectIrqError(() => none.vm.signalMsi(MSG), 'EINVAL');
    const f = setup();
    for (const flags of [2, 3, 2 ** 32, 2 ** 32 + 1, -1]) {
      expectIrqError(() => f.vm.signalMsi({ ...MSG, flags }), 'EINVAL');
    }
    expectIrqError(() => f.vm.signalMsi({ ...MSG, addressHi: 2 ** 32 }), 'EINVAL');
    expectIrqError(() => f.vm.signalMsi({ ...MSG, data: -1 }), 'EINVAL');
    f.msi.invalidData.add(0x31);
    expectIrqError(() => f.vm.signalMsi(MSG), 'EINVAL');
    expect(f.msi.delivered).toEqual([]);
  });

  it('CORE-8.3: neither operation involves irqfd caches, bypass or the scheduler — both are synchronous', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4), msiRoute(40, 0x41)]);
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    const route = irqfd.route;
    f.log.length = 0;
    expect(f.vm.irqLine({ gsi: 4, level: 1 }).status).toBe(1);
    expect(f.vm.signalMsi({ ...MSG, data: 0x77 })).toBe(1);
    expect(f.sched.size).toBe(0);
    expect(f.edge.edges[4]).toBe(1);
    expect(f.msi.delivered.map((m) => m.data)).toEqual([0x77]);
    expect(f.msi.atomic).toEqual([]);
    expect(irqfd.route).toBe(route);
    expect(f.log).toEqual(['chip0.set(4,1)', 'msi(119)']);
  });
});
