import { describe, expect, it } from 'vitest';
import {
  COALESCED,
  ERRNO,
  EventFd,
  errnoToCode,
  IGNORED,
  IrqError,
  RESAMPLER_SOURCE_ID,
  USERSPACE_SOURCE_ID,
} from '../src/index.js';
import { EDGE, expectIrqError, msiRoute, pinRoute, routingView, setup } from './core-fixtures.js';

describe('CORE §0.1 delivery result', () => {
  it('CORE-0.1: setIrq, irqchip sets, MSI delivery and signalMsi return the Delivery number of KVM', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5), msiRoute(40, 0x41)]);
    // > 0: delivered to that many vCPUs (the chip's own count is passed through)
    f.edge.results.set(5, 3);
    expect(f.vm.setIrq(USERSPACE_SOURCE_ID, 5, true)).toBe(3);
    // 0: coalesced
    f.edge.results.set(5, COALESCED);
    expect(f.vm.setIrq(USERSPACE_SOURCE_ID, 5, true)).toBe(0);
    // < 0: ignored (masked)
    f.edge.results.set(5, IGNORED);
    expect(f.vm.setIrq(USERSPACE_SOURCE_ID, 5, true)).toBe(-1);
    // MSI route and signalMsi pass the sink's result through
    f.msi.result = 2;
    expect(f.vm.setIrq(USERSPACE_SOURCE_ID, 40, true)).toBe(2);
    f.msi.result = 0;
    expect(f.vm.signalMsi({ addressLo: 0xfee00000, addressHi: 0, data: 1 })).toBe(0);
    f.msi.result = -1;
    expect(f.vm.signalMsi({ addressLo: 0xfee00000, addressHi: 0, data: 1 })).toBe(-1);
  });

  it('CORE-0.1: counters classify each injection as delivered, coalesced or ignored', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5)]);
    const before = f.vm.counters.snapshot();
    f.edge.results.set(5, 2);
    f.vm.setIrq(0, 5, true);
    f.edge.results.set(5, 0);
    f.vm.setIrq(0, 5, true);
    f.edge.results.set(5, -1);
    f.vm.setIrq(0, 5, true);
    f.vm.setIrq(0, 7, true); // unrouted: ignored
    expect(f.vm.counters.delta(before)).toEqual({
      injections: 4,
      delivered: 1,
      coalesced: 1,
      ignored: 2,
    });
  });

  it('CORE-0.2: a de-assertion returns whatever the chip reports and is not counted as an injection', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5)]);
    f.vm.setIrq(0, 5, true);
    const before = f.vm.counters.snapshot();
    f.edge.deassertResult = 1; // x86 IOAPIC style
    expect(f.vm.setIrq(0, 5, false)).toBe(1);
    f.edge.deassertResult = 0;
    expect(f.vm.setIrq(0, 5, false)).toBe(0);
    expect(f.vm.counters.delta(before)).toEqual({});
  });
});

describe('CORE §0.2 errors', () => {
  it('CORE-0.3: errors are IrqError with the errno-like code; EFAULT exhaustion maps to ENOSPC', () => {
    const f = setup();
    const e = expectIrqError(() => f.vm.setGsiRouting([pinRoute(5, EDGE, 99)]), 'EINVAL');
    expect(e).toBeInstanceOf(Error);
    expect(e.errno).toBe(ERRNO.EINVAL);
    expect(errnoToCode(-16)).toBe('EBUSY');
    expect(errnoToCode(-6)).toBe('ENXIO');
    expect(errnoToCode(-11)).toBe('EAGAIN');
    for (let i = 2; i < 64; i++) f.vm.requestSourceId();
    expectIrqError(() => f.vm.requestSourceId(), 'ENOSPC');
    // "not an eventfd" (EBADF in KVM) is EINVAL in the model
    expectIrqError(
      () => f.vm.irqfds.assign({ eventfd: {} as unknown as EventFd, gsi: 5 }),
      'EINVAL',
    );
  });

  it('CORE-0.3: a thrown error leaves no partial state (routing, irqfds, resampler, source ids)', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5), pinRoute(6, EDGE, 6)]);
    const view = routingView(f.vm, [5, 6, 7]);
    expectIrqError(() => f.vm.setGsiRouting([pinRoute(7, EDGE, 7), pinRoute(8, 9, 0)]), 'EINVAL');
    expect(routingView(f.vm, [5, 6, 7])).toEqual(view);

    // an irqfd refused with EBUSY registers nothing, not even its resampler
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    const r = new EventFd();
    expectIrqError(() => f.vm.irqfds.assign({ eventfd: e, gsi: 6, resamplefd: r }), 'EBUSY');
    expect(f.vm.irqfds.active.map((x) => x.gsi)).toEqual([5]);
    expect(f.vm.irqfds.resampler(6)).toBeUndefined();
    expect(f.vm.hasAckNotifier(EDGE, 6)).toBe(false);

    // refusing to free a reserved id clears nothing
    f.vm.setIrq(RESAMPLER_SOURCE_ID, 6, true);
    expectIrqError(() => f.vm.freeSourceId(RESAMPLER_SOURCE_ID), 'EINVAL');
    expect(f.vm.lineSources(EDGE, 6)).toEqual([RESAMPLER_SOURCE_ID]);
  });

  it('CORE-0.3: operations documented to return a status return it instead of throwing', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5)]);
    f.edge.results.set(5, -1);
    expect(f.vm.irqLine({ gsi: 5, level: 1 }, { withStatus: true })).toEqual({ status: -1 });
    expect(f.vm.irqLine({ gsi: 300, level: 1 }, { withStatus: true })).toEqual({ status: -1 });
    f.msi.result = -1;
    expect(f.vm.signalMsi({ addressLo: 0xfee00000, addressHi: 0, data: 3 })).toBe(-1);
    expect(new IrqError('EBUSY', 'x').code).toBe('EBUSY');
  });
});
