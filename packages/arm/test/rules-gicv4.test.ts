import { EventFd, type RoutingEntry, VfioMsiDevice, VfioPlatformIrq } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import type { ArmMachine, ArmMachineOptions } from '../src/index.js';
import {
  distRead,
  distWrite,
  exits,
  fixture,
  itsCommand,
  itsFixture,
  msi,
  rdWrite,
  setTrigger,
  take,
  track,
} from './helpers.js';

function route(
  m: ArmMachine,
  gsi: number,
  e: Partial<RoutingEntry> & Record<string, unknown>,
): void {
  const t = [
    ...(m.vm.router.entries() as RoutingEntry[]).filter((x) => x.gsi !== gsi),
    { gsi, ...e } as RoutingEntry,
  ];
  m.vm.setGsiRouting(t);
}

function paired(opts: Partial<ArmMachineOptions> = {}, data = 2) {
  const { m, d } = itsFixture({ gicv4: '4.1', ...opts });
  route(m, 100, { kind: 'msi', ...msi(1, data) });
  const fd = new EventFd();
  const irqfd = m.vm.irqfds.assign({ eventfd: fd, gsi: 100 });
  const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
  dev.setTrigger(0, fd);
  return { m, d, fd, dev, irqfd };
}

describe('arm.md §6 GICv4 / 4.1', () => {
  it('ARM-6.1 direct MSIs need GICv4.1, or GICv4.0 with an ITS; otherwise GICv4 calls are no-ops', () => {
    expect(paired({ gicv4: '4.1' }).m.irq(8192)!.hw).toBe(true);
    expect(paired({ gicv4: '4.0' }).m.irq(8192)!.hw).toBe(true);
    const none = paired({ gicv4: 'none' });
    expect(none.m.irq(8192)!.hw).toBe(false);
    expect(none.irqfd.producer).not.toBeNull();
    expect(none.m.gic.directMsis).toBe(false);
  });

  it('ARM-6.2 the vPE is resident in guest and host states; a doorbell is requested only in WFI', () => {
    const { m } = paired();
    const vpe = m.vcpuState(0).vpe;
    expect(vpe.resident).toBe(true);
    m.setRunState(0, 'host');
    expect(vpe.resident).toBe(true);
    m.setRunState(0, 'preempted');
    expect([vpe.resident, vpe.doorbellRequested]).toEqual([false, false]);
    m.setRunState(0, 'guest');
    m.setRunState(0, 'blocked');
    expect([vpe.resident, vpe.doorbellRequested]).toEqual([false, true]);
    m.setRunState(0, 'guest');
    expect([vpe.resident, vpe.doorbellRequested]).toEqual([true, false]);
  });

  it('ARM-6.3 set forwarding maps a vLPI, moves the latch into the VPT, drops the cache; failures keep software', () => {
    const { m } = itsFixture({ gicv4: '4.1' });
    m.vm.signalMsi(msi(1, 2)); // caches (1, 2)
    expect(m.its!.cache.size).toBe(1);
    route(m, 100, { kind: 'msi', ...msi(1, 2) });
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 100 });
    m.setRunState(0, 'host');
    m.vm.signalMsi(msi(1, 2));
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 2 });
    dev.setTrigger(0, fd);
    const irq = m.irq(8192)!;
    expect(irq.hw).toBe(true);
    expect(irq.vptPending).toBe(true);
    expect(irq.pendingLatch).toBe(false);
    expect(m.its!.cache.size).toBe(0);
    expect(m.vcpuState(0).vpe.vlpiCount).toBe(1);
    // An unmapped event stays on the software path.
    route(m, 101, { kind: 'msi', ...msi(1, 9) });
    const fd2 = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd2, gsi: 101 });
    dev.setTrigger(1, fd2);
    expect(m.vcpuState(0).vpe.vlpiCount).toBe(1);
  });

  it('ARM-6.4 bypass hooks: irqchip routes are not bypassed, route changes un-forward, stop/start halt', () => {
    const { m } = itsFixture({ gicv4: '4.1', vcpus: 2 });
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 3 }); // irqchip route
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 2 });
    const t = track(m);
    dev.setTrigger(0, fd);
    expect(t('exits.kick', 1)).toBe(1); // stop halted the running vCPUs
    expect(m.vcpuState(0).vpe.vlpiCount).toBe(0);
    const p = paired({ vcpus: 2 });
    expect(p.m.irq(8192)!.hw).toBe(true);
    route(p.m, 100, { kind: 'msi', ...msi(1, 2), devid: 1 }); // identical: stays forwarded
    expect(p.m.irq(8192)!.hw).toBe(true);
    route(p.m, 100, { kind: 'irqchip', chip: 0, pin: 5 });
    expect(p.m.irq(8192)!.hw).toBe(false);
  });

  it('ARM-6.4 with forwardSpis, an SPI busy at pairing (EAGAIN) is forwarded once the guest completes it', () => {
    const m = fixture({ forwardSpis: true });
    setTrigger(m, 32, 'level');
    const line = m.host.irqs.createLine(77);
    const fd = new EventFd();
    const rfd = new EventFd();
    const vfio = new VfioPlatformIrq(m.host, line, { trigger: fd, unmask: rfd });
    const dev = {};
    line.setOutput(dev, true); // fires before the irqfd exists: VFIO masks it
    expect(vfio.masked).toBe(true);
    m.vm.irqfds.assign({ eventfd: fd, gsi: 0, resamplefd: rfd });
    expect(vfio.consumer).not.toBeNull();
    expect(vfio.forwarded).toBe(false); // paired, but EAGAIN: software path for now
    expect(take(m)).toBe(32);
    line.setOutput(dev, false);
    m.cpu(0).eoir(32); // maintenance → ack → resamplefd → VFIO unmask → forward
    expect(vfio.forwarded).toBe(true);
    expect(m.getMap(32)).toBe(77);
  });

  it('ARM-6.5 resident: straight to the guest; blocked: doorbell; descheduled: waits', () => {
    const { m, dev } = paired();
    const d = track(m);
    dev.fire(0);
    expect(m.vcpuState(0).vpe.pendingCount).toBe(1);
    expect(take(m)).toBe(8192);
    m.cpu(0).eoir(8192);
    expect(exits(d) + d('doorbells')).toBe(0);
    m.setRunState(0, 'blocked');
    dev.fire(0);
    expect(d('doorbells')).toBe(1);
    expect(m.vcpuState(0).vpe.pendingLast).toBe(false); // consumed by the load on wake-up
    m.cpu(0).eoir(take(m));
    m.setRunState(0, 'preempted');
    dev.fire(0);
    expect(d('doorbells')).toBe(1);
    m.setRunState(0, 'guest');
    expect(take(m)).toBe(8192);
  });

  it('ARM-6.6 ITS commands act on vLPIs: INT, CLEAR, MOVI remap, DISCARD unmaps', () => {
    const { m, d } = paired({ vcpus: 2 });
    m.setRunState(0, 'preempted');
    d.submit(itsCommand.int(1, 2));
    const irq = m.irq(8192)!;
    expect(irq.vptPending).toBe(true);
    d.submit(itsCommand.clear(1, 2));
    expect(irq.vptPending).toBe(false);
    d.submit(itsCommand.mapc(1, 1), itsCommand.movi(1, 2, 1));
    expect(irq.vpe).toBe(m.vcpuState(1).vpe);
    expect(m.vcpuState(0).vpe.vlpiCount).toBe(0);
    expect(m.vcpuState(1).vpe.vlpiCount).toBe(1);
    d.submit(itsCommand.discard(1, 2));
    expect(irq.hw).toBe(false);
    expect(m.vcpuState(1).vpe.vlpiCount).toBe(0);
  });

  it('ARM-6.7 unset forwarding hands a pending VPT bit back to software', () => {
    const { m, dev } = paired();
    m.setRunState(0, 'preempted');
    dev.fire(0);
    dev.setTrigger(0, null);
    const irq = m.irq(8192)!;
    expect([irq.hw, irq.pendingLatch, irq.vptPending]).toEqual([false, true, false]);
    m.setRunState(0, 'guest');
    expect(take(m)).toBe(8192);
  });

  it('ARM-6.8 vSGIs: capability, nASSGIreq only while disabled, pending in hardware, read back when off', () => {
    const { m } = itsFixture({ gicv4: '4.1', vcpus: 2 });
    expect(distRead(m, 0xc) & (1 << 8)).toBe(1 << 8);
    distWrite(m, 0, 2 | (1 << 8)); // enabled → stays enabled: ignored
    expect(m.gic.nassgireq).toBe(false);
    distWrite(m, 0, 0);
    distWrite(m, 0, 2 | (1 << 8));
    expect(m.gic.nassgireq).toBe(true);
    const sgi = m.irq(6, 1)!;
    expect(sgi.hw).toBe(true);
    m.setRunState(1, 'preempted');
    rdWrite(m, 1, 0x10200, 1 << 6, 0); // ISPENDR0 of vCPU 1: hardware pending
    expect(sgi.vptPending).toBe(true);
    expect(sgi.pendingLatch).toBe(false);
    distWrite(m, 0, 0);
    distWrite(m, 0, 2);
    expect(m.gic.nassgireq).toBe(false);
    expect([sgi.hw, sgi.pendingLatch]).toEqual([false, true]);
    m.setRunState(1, 'guest');
    expect(take(m, 1)).toBe(6);
    const no = itsFixture({ gicv4: '4.0' }).m;
    expect(distRead(no, 0xc)).toBe(0);
  });
});
