import { describe, expect, it } from 'vitest';
import { EventFd, Host, IrqError, VfioMsiDevice } from '../src/index.js';
import { createGuest } from './host-guest.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    throw e;
  }
  return undefined;
}

/** Observable state of a device's vectors, to show a refused call changed nothing. */
function snapshot(d: VfioMsiDevice) {
  return d.vectors.map((v) => ({
    eventfd: v.eventfd,
    masked: v.masked,
    pending: v.pending,
    dropped: v.dropped,
    token: v.token,
    fired: v.hostIrq.fired,
  }));
}

describe('HOST §3 MSI and MSI-X through VFIO', () => {
  it('HOST-3.1: MSI has 1, 2, 4 … 32 vectors, MSI-X 1 … 2048; anything else is EINVAL', () => {
    const host = new Host();
    for (const n of [1, 2, 4, 8, 16, 32]) {
      expect(new VfioMsiDevice(host, { type: 'msi', vectors: n }).vectors).toHaveLength(n);
    }
    for (const n of [1, 3, 2048]) {
      expect(new VfioMsiDevice(host, { type: 'msix', vectors: n }).vectors).toHaveLength(n);
    }
    const probe = host.irqs.createLine().irq;
    for (const n of [0, 3, 6, 64, 1.5, -1, Number.NaN]) {
      expect(codeOf(() => new VfioMsiDevice(host, { type: 'msi', vectors: n }))).toBe('EINVAL');
    }
    for (const n of [0, 2049, 2.5, -4, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => new VfioMsiDevice(host, { type: 'msix', vectors: n }))).toBe('EINVAL');
    }
    // Refused devices allocated no host IRQs.
    expect(new VfioMsiDevice(host, { type: 'msi', vectors: 1 }).vectors[0]!.irq).toBe(probe + 1);
  });

  it('HOST-3.1: an unknown type is EINVAL', () => {
    const host = new Host();
    const type = 'intx' as unknown as 'msi';
    expect(codeOf(() => new VfioMsiDevice(host, { type, vectors: 1 }))).toBe('EINVAL');
  });

  it('HOST-3.1: firing vector i signals its eventfd through the host handler', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msi', vectors: 4 });
    const fd = new EventFd();
    d.setTrigger(2, fd);
    d.fire(2);
    d.fire(2);
    expect(fd.count).toBe(2);
    expect(host.counters.get('hostIrqs')).toBe(2);
    expect(d.vectors[2]!.hostIrq.fired).toBe(2);
  });

  it('HOST-3.1: a vector without an eventfd drops the message and counts it', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msix', vectors: 2 });
    const fd = new EventFd();
    d.setTrigger(0, fd);
    d.fire(1);
    d.fire(1);
    expect(d.vectors[1]!.dropped).toBe(2);
    expect(host.counters.get('msiDropped')).toBe(2);
    expect(fd.count).toBe(0);
    d.setTrigger(0, null);
    d.fire(0);
    expect(d.vectors[0]!.dropped).toBe(1);
    expect(fd.count).toBe(0);
  });

  it('HOST-3.1: an out-of-range vector index is EINVAL and changes nothing', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msix', vectors: 4 });
    const fd = new EventFd();
    d.setTrigger(0, fd);
    d.mask(1);
    d.fire(1);
    const before = snapshot(d);
    for (const i of [-1, 4, 1.5, Number.NaN]) {
      expect(codeOf(() => d.fire(i))).toBe('EINVAL');
      expect(codeOf(() => d.setTrigger(i, new EventFd()))).toBe('EINVAL');
      expect(codeOf(() => d.mask(i))).toBe('EINVAL');
      expect(codeOf(() => d.unmask(i))).toBe('EINVAL');
      expect(codeOf(() => d.vector(i))).toBe('EINVAL');
    }
    expect(snapshot(d)).toEqual(before);
    expect(fd.count).toBe(0);
  });

  it('HOST-3.1: a trigger that is not an eventfd is EINVAL; the old trigger and producer stay', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msi', vectors: 1 });
    const fd = new EventFd();
    d.setTrigger(0, fd);
    const bad = { signal() {} } as unknown as EventFd;
    expect(codeOf(() => d.setTrigger(0, bad))).toBe('EINVAL');
    expect(d.vectors[0]!.eventfd).toBe(fd);
    expect(host.bypass.hasProducer(d.vectors[0]!)).toBe(true);
    d.fire(0);
    expect(fd.count).toBe(1);
  });

  it('HOST-3.2: each vector with an eventfd is a bypass producer whose token is that eventfd', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msix', vectors: 2 });
    const fd = new EventFd();
    const v = d.vectors[1]!;
    expect(host.bypass.hasProducer(v)).toBe(false);
    d.setTrigger(1, fd);
    expect(host.bypass.hasProducer(v)).toBe(true);
    expect(v.token).toBe(fd);
    expect(v.irq).toBe(v.hostIrq.irq);
    d.setTrigger(1, null);
    expect(host.bypass.hasProducer(v)).toBe(false);
    expect(v.token).toBeNull();
  });

  it('HOST-3.2: paired with an irqfd holding the same eventfd, a posted vector bypasses the host', () => {
    const g = createGuest({ post: true });
    const d = new VfioMsiDevice(g.host, { type: 'msix', vectors: 1 });
    const fd = new EventFd();
    g.vm.irqfds.assign({ eventfd: fd, gsi: 9 });
    d.setTrigger(0, fd);
    expect(g.calls).toEqual([{ op: 'addProducer', irq: d.vectors[0]!.irq, gsi: 9 }]);
    d.fire(0);
    expect(g.posted.get(9)).toBe(1);
    expect(fd.count).toBe(0);
    expect(g.host.counters.get('hostIrqs')).toBe(0);
    expect(g.chip.deliveries[9]).toBe(0); // not through the irqfd
  });

  it('HOST-3.2: only a host MSI can be posted; a level line or an unknown IRQ is EINVAL', () => {
    const host = new Host();
    const line = host.irqs.createLine();
    const target = { post() {} };
    expect(codeOf(() => host.irqs.setVcpuAffinity(line.irq, target))).toBe('EINVAL');
    expect(codeOf(() => host.irqs.setVcpuAffinity(9999, target))).toBe('EINVAL');
    expect(host.counters.get('irteUpdates')).toBe(0);
  });

  it('HOST-3.2: changing the eventfd unregisters the old producer before the new one registers', () => {
    const g = createGuest();
    const d = new VfioMsiDevice(g.host, { type: 'msi', vectors: 1 });
    const fd1 = new EventFd();
    const fd2 = new EventFd();
    g.vm.irqfds.assign({ eventfd: fd1, gsi: 1 });
    g.vm.irqfds.assign({ eventfd: fd2, gsi: 2 });
    const irq = d.vectors[0]!.irq;
    d.setTrigger(0, fd1);
    d.setTrigger(0, fd2);
    expect(g.calls).toEqual([
      { op: 'addProducer', irq, gsi: 1 },
      { op: 'delProducer', irq, gsi: 1 },
      { op: 'addProducer', irq, gsi: 2 },
    ]);
    expect(g.host.counters.get('bypassDisconnects')).toBe(1);
    d.setTrigger(0, null);
    expect(g.calls.at(-1)).toEqual({ op: 'delProducer', irq, gsi: 2 });
  });

  it('HOST-3.2: setting the same eventfd again keeps the connection', () => {
    const g = createGuest();
    const d = new VfioMsiDevice(g.host, { type: 'msi', vectors: 1 });
    const fd = new EventFd();
    g.vm.irqfds.assign({ eventfd: fd, gsi: 1 });
    d.setTrigger(0, fd);
    d.setTrigger(0, fd);
    expect(g.calls).toHaveLength(1);
  });

  it('HOST-3.2: a refused producer registration is ignored, as VFIO logs it; the eventfd still works', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msix', vectors: 2 });
    const fd = new EventFd();
    d.setTrigger(0, fd);
    d.setTrigger(1, fd); // the token is taken by vector 0: EBUSY inside, ignored
    expect(host.bypass.hasProducer(d.vectors[1]!)).toBe(false);
    d.fire(1);
    expect(fd.count).toBe(1);
    // Once vector 0 lets go, setting the eventfd again registers vector 1.
    d.setTrigger(0, null);
    d.setTrigger(1, fd);
    expect(host.bypass.hasProducer(d.vectors[1]!)).toBe(true);
  });

  it('HOST-3.3: a masked MSI-X vector sets its pending bit; unmask fires once and clears it', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msix', vectors: 2 });
    const fd = new EventFd();
    d.setTrigger(0, fd);
    d.mask(0);
    d.fire(0);
    expect(d.vectors[0]!.pending).toBe(true);
    expect(fd.count).toBe(0);
    d.unmask(0);
    expect(d.vectors[0]!.pending).toBe(false);
    expect(fd.count).toBe(1);
    d.unmask(0); // nothing pending: nothing fires
    expect(fd.count).toBe(1);
  });

  it('HOST-3.3: plain MSI has no per-vector mask (EINVAL)', () => {
    const host = new Host();
    const d = new VfioMsiDevice(host, { type: 'msi', vectors: 2 });
    expect(codeOf(() => d.mask(0))).toBe('EINVAL');
    expect(codeOf(() => d.unmask(0))).toBe('EINVAL');
    expect(d.vectors[0]!.masked).toBe(false);
  });

  it('HOST-S9: MSI-X vector masked, fired twice → one pending bit; unmask → exactly one trigger', () => {
    const g = createGuest();
    const d = new VfioMsiDevice(g.host, { type: 'msix', vectors: 8 });
    const fd = new EventFd();
    g.vm.irqfds.assign({ eventfd: fd, gsi: 4 });
    d.setTrigger(5, fd);
    d.mask(5);
    d.fire(5);
    d.fire(5);
    expect(d.vectors[5]!.pending).toBe(true);
    expect(g.chip.deliveries[4]).toBe(0);
    d.unmask(5);
    expect(d.vectors[5]!.hostIrq.fired).toBe(1);
    expect(g.chip.deliveries[4]).toBe(1);
    expect(g.vm.counters.get('deferredInjections')).toBe(1);
  });

  it('HOST-S10: eventfd replaced while posted → old pairing torn down first; nothing lost or doubled', () => {
    const g = createGuest({ post: true });
    const d = new VfioMsiDevice(g.host, { type: 'msix', vectors: 1 });
    const fd1 = new EventFd();
    const fd2 = new EventFd();
    g.vm.irqfds.assign({ eventfd: fd1, gsi: 1 });
    g.vm.irqfds.assign({ eventfd: fd2, gsi: 2 });
    const irq = d.vectors[0]!.irq;
    d.setTrigger(0, fd1);
    d.fire(0);
    // A message latched while masked across the switch belongs to whoever owns the vector at unmask.
    d.mask(0);
    d.fire(0);
    d.setTrigger(0, fd2);
    expect(g.calls).toEqual([
      { op: 'addProducer', irq, gsi: 1 },
      { op: 'delProducer', irq, gsi: 1 },
      { op: 'addProducer', irq, gsi: 2 },
    ]);
    d.unmask(0);
    d.fire(0);
    expect(g.posted.get(1)).toBe(1);
    expect(g.posted.get(2)).toBe(2);
    // Nothing went the slow way as well (that would be a double delivery).
    expect(fd1.count + fd2.count).toBe(0);
    expect(g.chip.deliveries[1]! + g.chip.deliveries[2]!).toBe(0);
    expect(d.vectors[0]!.hostIrq.fired).toBe(3);
  });

  it('HOST-S10: without posting, the replaced vector reaches the new irqfd only', () => {
    const g = createGuest();
    const d = new VfioMsiDevice(g.host, { type: 'msi', vectors: 1 });
    const fd1 = new EventFd();
    const fd2 = new EventFd();
    g.vm.irqfds.assign({ eventfd: fd1, gsi: 1 });
    g.vm.irqfds.assign({ eventfd: fd2, gsi: 2 });
    d.setTrigger(0, fd1);
    d.fire(0);
    d.setTrigger(0, fd2);
    d.fire(0);
    expect(g.chip.deliveries[1]).toBe(1);
    expect(g.chip.deliveries[2]).toBe(1);
  });
});
