import {
  EventFd,
  ROUTE_FLAG_VALID_DEVID,
  type RoutingEntry,
  VfioMsiDevice,
  VfioPlatformIrq,
} from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createArmMachine, ItsDriver, itsCommand } from '../src/index.js';

// The examples of docs/arch/arm.md run here, so the guide cannot drift from the API.
describe('docs/arch/arm.md', () => {
  it('a forwarded platform device: the same interrupt without maintenance or resample', () => {
    const m = createArmMachine({ vcpus: 1 });
    m.guest.configure(0, { trigger: 'level', target: 0, priority: 4 });
    m.guest.unmask(0);
    const line = m.host.irqs.createLine(77);
    const trigger = new EventFd();
    const resample = new EventFd();
    new VfioPlatformIrq(m.host, line, { trigger, unmask: resample });
    m.vm.irqfds.assign({ eventfd: trigger, gsi: 0, resamplefd: resample });
    const device = {};
    function oneInterrupt(): Record<string, number> {
      const before = m.counters.snapshot();
      line.setOutput(device, true);
      const t = m.guest.take(0);
      if (t === null) throw new Error('lost');
      line.setOutput(device, false);
      m.guest.eoi(0, t);
      return m.counters.delta(before);
    }
    const p4 = oneInterrupt();
    m.forward({ hostIrq: 77, gsi: 0 });
    const p5 = oneInterrupt();
    expect(p4).toMatchObject({
      'exits.kick': 1,
      'exits.maintenance': 1,
      ackNotifications: 1,
      resamplefdSignals: 1,
    });
    expect(p5['exits.kick']).toBe(1);
    expect(p5['exits.maintenance'] ?? 0).toBe(0);
    expect(p5.resamplefdSignals ?? 0).toBe(0);
  });

  it('a PCI device through the ITS with GICv4.1: resident, then blocked', () => {
    const m = createArmMachine({ vcpus: 2, its: true, gicv4: '4.1' });
    const its = new ItsDriver(
      {
        read32: (a) => m.mmio.read(0, a, 4),
        write32: (a, v) => m.mmio.write(0, a, 4, v),
        write64: (a, v) => m.mmio.write64(0, a, v),
      },
      m.memory,
      m.layout.its,
      m.layout.redist,
      m.vcpus,
    );
    its.setup();
    const DEV = 0x0100;
    its.setLpiConfig(8192, 0xa0, true);
    its.submit(
      itsCommand.mapd(DEV, 4, its.itt(DEV)),
      itsCommand.mapc(1, 1),
      itsCommand.mapti(DEV, 0, 8192, 1),
    );
    const routes: RoutingEntry[] = [
      ...(m.vm.router.entries() as RoutingEntry[]),
      {
        gsi: 300,
        kind: 'msi',
        addressLo: its.doorbell,
        addressHi: 0,
        data: 0,
        flags: ROUTE_FLAG_VALID_DEVID,
        devid: DEV,
      },
    ];
    m.vm.setGsiRouting(routes);
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 300 });
    const nic = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
    nic.setTrigger(0, fd);
    expect(m.irq(8192)?.hw).toBe(true);

    let before = m.counters.snapshot();
    nic.fire(0);
    expect(m.guest.take(1)).toBe(8192);
    m.guest.eoi(1, 8192);
    expect(m.counters.delta(before)).toEqual({});

    m.setRunState(1, 'blocked');
    before = m.counters.snapshot();
    nic.fire(0);
    expect(m.counters.delta(before)).toEqual({ doorbells: 1, hostIrqs: 1, wakeups: 1 });
    expect(m.guest.take(1)).toBe(8192);
  });
});
