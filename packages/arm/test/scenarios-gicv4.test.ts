import { EventFd, type RoutingEntry, VfioMsiDevice } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import type { ArmMachine, ArmMachineOptions } from '../src/index.js';
import {
  bit,
  distWrite,
  eoi,
  exits,
  ISACTIVER,
  itsCommand,
  itsFixture,
  msi,
  rdRead,
  rdWrite,
  take,
  track,
} from './helpers.js';

function route(m: ArmMachine, gsi: number, data: number): void {
  const t: RoutingEntry[] = [
    ...(m.vm.router.entries() as RoutingEntry[]).filter((e) => e.gsi !== gsi),
    { gsi, kind: 'msi', ...msi(1, data) },
  ];
  m.vm.setGsiRouting(t);
}

/** §8.8 fixture: S-ARM-55's mapping, GICv4.1, a VFIO MSI-X vector paired with the MSI irqfd. */
function v4(opts: Partial<ArmMachineOptions> = {}, connect = true) {
  const { m, d } = itsFixture({ gicv4: '4.1', ...opts });
  route(m, 100, 2);
  const fd = new EventFd();
  m.vm.irqfds.assign({ eventfd: fd, gsi: 100 });
  const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
  if (connect) dev.setTrigger(0, fd);
  return { m, d, fd, dev };
}

describe('arm.md §8.8 GICv4 / 4.1', () => {
  it('S-ARM-68 resident direct injection: no exit, no host IRQ, no kick, no LR', () => {
    const { m, dev } = v4();
    expect(m.irq(8192)!.hw).toBe(true);
    const d = track(m);
    dev.fire(0);
    expect(m.vcpuState(0).usedLrs).toBe(0);
    expect(take(m)).toBe(8192);
    eoi(m, 8192);
    expect(exits(d)).toBe(0);
    expect(d('host.hostIrqs')).toBe(0);
    expect(d('exits.kick')).toBe(0);
  });

  it('S-ARM-69 doorbell while blocked in WFI: 1 doorbell, 1 wakeup, 0 exits', () => {
    const { m, dev } = v4();
    m.setRunState(0, 'blocked');
    const d = track(m);
    dev.fire(0);
    expect(d('doorbells')).toBe(1);
    expect(d('wakeups')).toBe(1);
    expect(d('host.hostIrqs')).toBe(1);
    expect(exits(d)).toBe(0);
    expect(m.runState(0)).toBe('guest');
    expect(m.vcpuState(0).vpe.resident).toBe(true);
    expect(take(m)).toBe(8192);
  });

  it('S-ARM-70 descheduled without WFI: no doorbell; taken at the next load', () => {
    const { m, dev } = v4();
    m.setRunState(0, 'preempted');
    const d = track(m);
    dev.fire(0);
    expect(d('doorbells')).toBe(0);
    expect(d('wakeups')).toBe(0);
    m.setRunState(0, 'guest');
    expect(take(m)).toBe(8192);
  });

  it('S-ARM-71 connecting transfers a software pending state into the VPT', () => {
    const { m, fd, dev } = v4({}, false);
    m.cpu(0).pmr = 0;
    m.vm.signalMsi(msi(1, 2));
    const irq = m.irq(8192)!;
    expect(irq.pendingLatch || m.vcpuState(0).lr.state[0] === 1).toBe(true);
    dev.setTrigger(0, fd);
    expect(irq.hw).toBe(true);
    expect(irq.vptPending).toBe(true);
    expect(irq.pendingLatch).toBe(false);
    m.cpu(0).pmr = 0xf8;
    expect(take(m)).toBe(8192);
    eoi(m, 8192);
    expect(take(m)).toBe(1023);
  });

  it('S-ARM-72 disconnecting hands a VPT-pending vLPI back to software', () => {
    const { m, dev } = v4();
    m.setRunState(0, 'preempted');
    dev.fire(0);
    const irq = m.irq(8192)!;
    expect(irq.vptPending).toBe(true);
    dev.setTrigger(0, null);
    expect(irq.hw).toBe(false);
    expect(irq.pendingLatch).toBe(true);
    m.setRunState(0, 'guest');
    expect(m.vcpuState(0).lr.vintid[0]).toBe(8192);
    expect(take(m)).toBe(8192);
    eoi(m, 8192);
    expect(take(m)).toBe(1023);
  });

  it('S-ARM-73 a route change un-forwards; the next MSI takes the software path', () => {
    const { m, d, dev } = v4();
    d.setLpiConfig(8193, 0xa0, true);
    d.submit(itsCommand.mapti(1, 3, 8193, 0)); // event 3 → LPI 8193 so the new route resolves
    route(m, 100, 3);
    expect(m.irq(8192)!.hw).toBe(false);
    const t = track(m);
    dev.fire(0);
    expect(t('host.hostIrqs')).toBe(1);
    expect(take(m)).toBe(8193);
  });

  it('S-ARM-74 without GICv4, pairing is a successful no-op and delivery is P6', () => {
    const { m, fd, dev } = v4({ gicv4: 'none' }, false);
    dev.setTrigger(0, fd);
    expect(dev.vectors[0]!.consumer).not.toBeNull();
    expect(m.irq(8192)!.hw).toBe(false);
    const d = track(m);
    dev.fire(0);
    expect(d('host.hostIrqs')).toBe(1);
    expect(take(m)).toBe(8192);
  });

  it('S-ARM-75 GICv4.1 vSGIs: sender traps, receiver takes without exits; no active state', () => {
    const { m } = itsFixture({ gicv4: '4.1', vcpus: 2 });
    distWrite(m, 0, 0);
    distWrite(m, 0, 1 << 8);
    distWrite(m, 0, (1 << 8) | 2);
    expect(m.gic.nassgireq).toBe(true);
    const d = track(m);
    m.cpu(0).sgi(BigInt((3 << 24) | 0b10));
    expect(d('exits.sysreg', 0)).toBe(1);
    expect(take(m, 1)).toBe(3);
    eoi(m, 3, 1);
    expect(exits(d, 1)).toBe(0);
    rdWrite(m, 1, 0x10300, 1 << 3, 1);
    expect(bit(m, ISACTIVER, 3, 1)).toBe(0);
    distWrite(m, 0, 2);
    expect(m.gic.nassgireq).toBe(true);
    expect(rdRead(m, 1, 0x10300, 1)).toBe(0);
  });
});
