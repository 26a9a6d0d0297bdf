import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EventFd,
  Host,
  type HostIrqLine,
  IrqError,
  PciDevice,
  type TraceEvent,
  VfioPciIntx,
  type VfioPciIntxOptions,
} from '../src/index.js';
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

/** A host, one line, and helpers to put PCI devices with VFIO INTx on it. */
function bench(host = new Host()) {
  const line = host.irqs.createLine();
  const add = (name: string, pci23: boolean, options: Partial<VfioPciIntxOptions> = {}) => {
    const device = new PciDevice(name, line, pci23);
    const trigger = options.trigger ?? new EventFd();
    const intx = new VfioPciIntx(host, device, { ...options, trigger });
    return { device, trigger, intx };
  };
  return { host, line, add };
}

/**
 * A 2.3 device on a resampling irqfd of the minimal guest: the trigger is the irqfd's eventfd,
 * the unmask eventfd its resamplefd, so the guest's EOI (`chip.eoi`) unmasks the device.
 */
function onGuest(pci23: boolean, gsi: number, options: Partial<VfioPciIntxOptions> = {}) {
  const g = createGuest();
  const line = g.host.irqs.createLine();
  const device = new PciDevice('dev', line, pci23);
  const trigger = new EventFd();
  const resamplefd = new EventFd();
  g.vm.irqfds.assign({ eventfd: trigger, gsi, resamplefd });
  const intx = new VfioPciIntx(g.host, device, { ...options, trigger, unmask: resamplefd });
  return { ...g, line, device, trigger, resamplefd, intx };
}

function hostEvents(events: TraceEvent[], op: string, line: HostIrqLine) {
  return events.filter((e) => e.type === 'host' && e.op === op && e.irq === line.irq);
}

describe('HOST §2 PCI INTx through VFIO', () => {
  it('HOST-2.1: DisINTx forces a 2.3 device output low while InterruptStatus still shows', () => {
    const { line } = bench();
    const d = new PciDevice('d', line, true);
    d.assert();
    expect(line.level).toBe(true);
    d.setDisIntx(true);
    expect(d.interruptStatus).toBe(true);
    expect(d.output).toBe(false);
    expect(line.level).toBe(false);
    d.setDisIntx(false);
    expect(line.level).toBe(true);
  });

  it('HOST-2.1: a device without 2.3 masking has no DisINTx bit', () => {
    const { line } = bench();
    const d = new PciDevice('d', line, false);
    d.assert();
    d.setDisIntx(true);
    expect(d.disIntx).toBe(false);
    expect(line.level).toBe(true);
  });

  it('HOST-2.2: a 2.3 device requests shared; without 2.3 or with nointxmask, exclusive', () => {
    const { add, line } = bench();
    expect(add('a', true).intx.shared).toBe(true);
    expect(add('b', true).intx.shared).toBe(true);
    expect(line.handlers.map((h) => h.shared)).toEqual([true, true]);
    const other = bench();
    expect(other.add('c', false).intx.shared).toBe(false);
    const third = bench();
    expect(third.add('d', true, { nointxmask: true }).intx.shared).toBe(false);
  });

  it('HOST-2.2: a second device on an exclusive line fails with EBUSY and changes nothing', () => {
    const { host, add, line } = bench();
    add('a', false);
    const d = new PciDevice('b', line, true);
    const trigger = new EventFd();
    expect(codeOf(() => new VfioPciIntx(host, d, { trigger }))).toBe('EBUSY');
    expect(line.handlers.length).toBe(1);
    d.assert();
    expect(trigger.count).toBe(0);
  });

  it('HOST-2.2: a device already driven by VFIO cannot be requested twice (EBUSY)', () => {
    const { host, add, line } = bench();
    const { device } = add('a', true);
    expect(codeOf(() => new VfioPciIntx(host, device, { trigger: new EventFd() }))).toBe('EBUSY');
    expect(line.handlers.length).toBe(1);
  });

  it('HOST-2.2: a trigger that is not an eventfd is refused with EINVAL before the request', () => {
    const { host, line } = bench();
    const d = new PciDevice('a', line, true);
    const bad = { signal() {} } as unknown as EventFd;
    expect(codeOf(() => new VfioPciIntx(host, d, { trigger: bad }))).toBe('EINVAL');
    expect(line.handlers.length).toBe(0);
    expect(() => new VfioPciIntx(host, d, { trigger: new EventFd() })).not.toThrow();
  });

  it('HOST-2.3: the handler masks with DisINTx, claims the interrupt and signals the trigger', () => {
    const { host, add, line } = bench();
    const { device, trigger, intx } = add('a', true);
    device.assert();
    expect(intx.masked).toBe(true);
    expect(device.disIntx).toBe(true);
    expect(trigger.count).toBe(1);
    expect(line.depth).toBe(0); // the line itself stays enabled for its neighbours
    expect(line.unhandled).toBe(0);
    expect(host.counters.get('vfioMasks')).toBe(1);
  });

  it('HOST-2.3: a masked device, or one not asserting, returns not-handled', () => {
    const { add, line } = bench();
    const a = add('a', true);
    const seen: boolean[] = [];
    // A probe handler after a's records what the line saw; b raises the interrupt.
    const b = add('b', true);
    line.request(
      'probe',
      () => {
        seen.push(a.intx.masked);
        return false;
      },
      { shared: true },
    );
    b.device.assert();
    expect(a.trigger.count).toBe(0);
    expect(a.intx.masked).toBe(false);
    expect(seen).toEqual([false]);
    expect(line.unhandled).toBe(0); // b claimed it
    // a asserts while masked by the user: its DisINTx keeps it off the line.
    a.intx.mask();
    a.device.assert();
    expect(a.trigger.count).toBe(0);
  });

  it('HOST-2.4: without 2.3 masking the handler disables the whole line and signals', () => {
    const { host, add, line } = bench();
    const { device, trigger, intx } = add('a', false);
    device.assert();
    expect(line.depth).toBe(1);
    expect(intx.masked).toBe(true);
    expect(trigger.count).toBe(1);
    expect(line.taken).toBe(1); // one interrupt, then the disabled line holds still
    expect(host.counters.get('vfioMasks')).toBe(1);
  });

  it('HOST-2.5: unmask of a 2.3 device clears DisINTx; no trigger if it stopped asserting', () => {
    const { host, add } = bench();
    const { device, trigger, intx } = add('a', true);
    device.assert();
    device.deassert();
    intx.unmask();
    expect(intx.masked).toBe(false);
    expect(device.disIntx).toBe(false);
    expect(trigger.count).toBe(1);
    expect(host.counters.get('vfioUnmasks')).toBe(1);
  });

  it('HOST-2.5: unmask of a still-asserting 2.3 device re-sends at once and stays masked', () => {
    const { add, line } = bench();
    const { device, trigger, intx } = add('a', true);
    device.assert();
    intx.unmask();
    expect(trigger.count).toBe(2);
    expect(line.taken).toBe(1); // re-sent, not re-triggered through the line
    expect(intx.masked).toBe(true);
    expect(device.disIntx).toBe(true);
  });

  it('HOST-2.5: unmask without 2.3 masking enables the line (a pending level re-triggers)', () => {
    const { add, line } = bench();
    const { device, trigger, intx } = add('a', false);
    device.assert();
    intx.unmask();
    expect(line.taken).toBe(2); // through the line this time
    expect(trigger.count).toBe(2);
    expect(line.depth).toBe(1);
    device.deassert();
    intx.unmask();
    expect(line.depth).toBe(0);
    expect(intx.masked).toBe(false);
  });

  it('HOST-2.5: signalling the unmask eventfd unmasks and consumes it; unmask when unmasked is a no-op', () => {
    const { add } = bench();
    const unmask = new EventFd();
    const { device, trigger, intx } = add('a', true, { unmask });
    intx.unmask();
    expect(trigger.count).toBe(0);
    device.assert();
    device.deassert();
    unmask.signal();
    expect(unmask.count).toBe(0);
    expect(intx.masked).toBe(false);
    expect(trigger.count).toBe(1);
  });

  it('HOST-2.5: after the unmask eventfd hangs up it no longer unmasks (virqfd shuts down)', () => {
    const { add } = bench();
    const unmask = new EventFd();
    const { device, intx } = add('a', true, { unmask });
    device.assert();
    device.deassert();
    unmask.close();
    unmask.signal();
    expect(intx.masked).toBe(true);
    intx.unmask(); // the user can still unmask through the ioctl
    expect(intx.masked).toBe(false);
  });

  it('HOST-2.6: an explicit mask sets DisINTx (2.3) or disables the line; masked never signals', () => {
    const a = bench().add('a', true);
    a.intx.mask();
    expect(a.device.disIntx).toBe(true);
    a.device.assert();
    expect(a.trigger.count).toBe(0);
    a.intx.unmask(); // still asserting: re-send
    expect(a.trigger.count).toBe(1);

    const other = bench();
    const b = other.add('b', false);
    b.intx.mask();
    expect(other.line.depth).toBe(1);
    b.device.assert();
    expect(b.trigger.count).toBe(0);
    b.intx.mask(); // idempotent
    expect(other.line.depth).toBe(1);
    b.intx.unmask();
    expect(b.trigger.count).toBe(1);
  });

  it('HOST-2.7: direct EOI is granted on an exclusive request; shared → EBUSY, nothing requested', () => {
    const x = bench().add('x', false, { directEoi: true });
    expect(x.intx.directEoi).toBe(true);
    const y = bench().add('y', true, { nointxmask: true, directEoi: true });
    expect(y.intx.directEoi).toBe(true);
    const { host, line } = bench();
    const d = new PciDevice('z', line, true);
    expect(
      codeOf(() => new VfioPciIntx(host, d, { trigger: new EventFd(), directEoi: true })),
    ).toBe('EBUSY');
    expect(line.handlers.length).toBe(0);
    expect(line.forwarded).toBe(false);
  });

  it('HOST-2.7: a direct-EOI request refused with EBUSY by the line leaves the line untouched', () => {
    const { host, add, line } = bench();
    const a = add('a', true);
    const d = new PciDevice('x', line, false);
    expect(
      codeOf(() => new VfioPciIntx(host, d, { trigger: new EventFd(), directEoi: true })),
    ).toBe('EBUSY');
    expect(line.forwarded).toBe(false);
    a.device.assert();
    expect(line.active).toBe(false);
    expect(a.trigger.count).toBe(1);
  });

  it('HOST-2.7: the direct-EOI handler signals without masking; the line stays active', () => {
    const g = createGuest();
    const line = g.host.irqs.createLine();
    const device = new PciDevice('d', line, false);
    const trigger = new EventFd();
    const intx = new VfioPciIntx(g.host, device, { trigger, directEoi: true });
    intx.forward(g.vm, 3);
    device.assert();
    expect(trigger.count).toBe(1);
    expect(intx.masked).toBe(false);
    expect(line.depth).toBe(0);
    expect(line.active).toBe(true);
    expect(g.host.counters.get('vfioMasks')).toBe(0);
  });

  it('HOST-2.7: a direct-EOI INTx uses the masking handler while it is not forwarded', () => {
    const { add, line } = bench();
    const { device, trigger, intx } = add('a', false, { directEoi: true });
    device.assert(); // nobody could deactivate a held line yet: mask as usual
    expect(trigger.count).toBe(1);
    expect(intx.masked).toBe(true);
    expect(line.depth).toBe(1);
    expect(line.active).toBe(false);
  });

  it('HOST-2.7: unforwarding a held direct-EOI INTx that still asserts falls back to masking (no storm)', () => {
    const g = createGuest();
    const line = g.host.irqs.createLine();
    const device = new PciDevice('d', line, false);
    const trigger = new EventFd();
    const intx = new VfioPciIntx(g.host, device, { trigger, directEoi: true });
    intx.forward(g.vm, 3);
    device.assert();
    expect(line.active).toBe(true);
    intx.unforward(); // HOST-4.3: deactivate and re-evaluate
    expect(line.active).toBe(false);
    expect(line.taken).toBe(2);
    expect(intx.masked).toBe(true);
    expect(line.depth).toBe(1);
    expect(trigger.count).toBe(2);
    // Forwarding again must wait until the masking path completes (HOST-4.3: EAGAIN).
    expect(codeOf(() => intx.forward(g.vm, 3))).toBe('EAGAIN');
    device.deassert();
    intx.unmask();
    intx.forward(g.vm, 3);
    expect(intx.forwarded).toBe(true);
  });

  it('HOST-2.7: releasing a forwarded direct-EOI INTx leaves the line inactive and unforwarded', () => {
    const g = createGuest();
    const line = g.host.irqs.createLine();
    const device = new PciDevice('d', line, false);
    const trigger = new EventFd();
    const intx = new VfioPciIntx(g.host, device, { trigger, directEoi: true });
    intx.forward(g.vm, 3);
    device.assert();
    intx.release();
    expect(trigger.count).toBe(1); // no last interrupt through the released handler
    expect(line.taken).toBe(1);
    expect(line.active).toBe(false);
    expect(line.forwarded).toBe(false);
    expect(line.handlers.length).toBe(0);
    expect(g.calls.map((c) => c.op)).toEqual(['forward', 'unforward']);
  });

  it('HOST-2.7: forwarding an INTx needs the direct-EOI handler (EINVAL otherwise)', () => {
    const g = createGuest();
    const line = g.host.irqs.createLine();
    const d = new PciDevice('d', line, true);
    const intx = new VfioPciIntx(g.host, d, { trigger: new EventFd() });
    expect(codeOf(() => intx.forward(g.vm, 1))).toBe('EINVAL');
    expect(line.forwarded).toBe(false);
    expect(g.calls).toEqual([]);
  });

  it('HOST-S1: two 2.3 devices share a line; B asserts → only B fires, A returns not-handled', () => {
    const { add, line } = bench();
    const a = add('A', true);
    const b = add('B', true);
    const results: boolean[] = [];
    line.request(
      'probe',
      () => {
        results.push(a.intx.masked, b.intx.masked);
        return false;
      },
      { shared: true },
    );
    b.device.assert();
    expect(b.trigger.count).toBe(1);
    expect(a.trigger.count).toBe(0);
    expect(results).toEqual([false, true]);
    expect(line.unhandled).toBe(0);
    expect(line.taken).toBe(1);
  });

  it('HOST-S2: a non-2.3 device requesting exclusive where a shared handler exists → EBUSY', () => {
    const { host, add, line } = bench();
    const a = add('A', true);
    const d = new PciDevice('legacy', line, false);
    expect(codeOf(() => new VfioPciIntx(host, d, { trigger: new EventFd() }))).toBe('EBUSY');
    expect(line.handlers.length).toBe(1);
    a.device.assert();
    expect(a.trigger.count).toBe(1);
  });

  it('HOST-S3: assert → fires, masked; guest EOI → resamplefd → unmask → still asserting → fires again at once', () => {
    const s = onGuest(true, 2);
    s.device.assert();
    expect(s.intx.masked).toBe(true);
    expect(s.chip.deliveries[2]).toBe(1);
    s.chip.eoi(2); // the guest's EOI
    expect(s.vm.counters.get('resamplefdSignals')).toBe(1);
    expect(s.intx.triggers).toBe(2);
    expect(s.line.taken).toBe(1); // no new line edge
    expect(s.intx.masked).toBe(true);
    expect(s.chip.deliveries[2]).toBe(2);
  });

  it('HOST-S4: assert, device de-asserts, guest EOI → unmask, no new trigger', () => {
    const s = onGuest(true, 2);
    s.device.assert();
    s.device.deassert();
    s.chip.eoi(2);
    expect(s.intx.masked).toBe(false);
    expect(s.device.disIntx).toBe(false);
    expect(s.intx.triggers).toBe(1);
    expect(s.chip.deliveries[2]).toBe(1);
    expect(s.chip.inServiceNow(2)).toBe(false);
  });

  it('HOST-S5: non-2.3: assert → line disabled (depth 1) → resample → line enabled (depth 0)', () => {
    const s = onGuest(false, 6);
    s.device.assert();
    expect(s.line.depth).toBe(1);
    expect(s.chip.deliveries[6]).toBe(1);
    s.device.deassert();
    s.chip.eoi(6);
    expect(s.line.depth).toBe(0);
    expect(s.intx.masked).toBe(false);
    expect(s.host.counters.get('vfioUnmasks')).toBe(1);
  });

  it("HOST-S6: direct EOI on an exclusive line: fires, not masked, active until the guest's deactivation", () => {
    const g = createGuest();
    const line = g.host.irqs.createLine();
    const device = new PciDevice('d', line, false);
    const trigger = new EventFd();
    g.vm.irqfds.assign({ eventfd: trigger, gsi: 3 });
    const intx = new VfioPciIntx(g.host, device, { trigger, directEoi: true });
    intx.forward(g.vm, 3);
    expect(g.calls).toContainEqual({ op: 'forward', irq: line.irq, gsi: 3 });
    device.assert();
    expect(intx.triggers).toBe(1);
    expect(g.chip.deliveries[3]).toBe(1);
    expect(intx.masked).toBe(false);
    expect(line.depth).toBe(0);
    expect(line.active).toBe(true);
    device.deassert(); // the guest driver services the device …
    expect(line.active).toBe(true);
    g.chip.eoi(3); // … and its EOI deactivates the physical interrupt (HW-mapped)
    expect(line.active).toBe(false);
    expect(intx.triggers).toBe(1);
    expect(g.vm.counters.get('resamplefdSignals')).toBe(0);
    expect(g.host.counters.get('vfioMasks')).toBe(0);
  });

  it('HOST-S7: direct EOI requested on a shared line → EBUSY; with fallback the masking handler is used', () => {
    const { host, line } = bench();
    const d = new PciDevice('d', line, true);
    const trigger = new EventFd();
    expect(codeOf(() => new VfioPciIntx(host, d, { trigger, directEoi: true }))).toBe('EBUSY');
    const intx = new VfioPciIntx(host, d, { trigger, directEoi: 'fallback' });
    expect(intx.directEoi).toBe(false);
    expect(intx.shared).toBe(true);
    d.assert();
    expect(intx.masked).toBe(true);
    expect(d.disIntx).toBe(true);
    expect(line.active).toBe(false);
  });

  it("HOST-S8: forced direct EOI on a shared line starves B while A's interrupt is held active", () => {
    const g = createGuest();
    const { events } = g.host.trace.record();
    const line = g.host.irqs.createLine();
    const aDev = new PciDevice('A', line, true);
    const bDev = new PciDevice('B', line, true);
    const aTrig = new EventFd();
    const bTrig = new EventFd();
    const a = new VfioPciIntx(g.host, aDev, {
      trigger: aTrig,
      directEoi: true,
      unsafeForceDirectEoi: true,
    });
    const b = new VfioPciIntx(g.host, bDev, { trigger: bTrig });
    expect(a.directEoi).toBe(true);
    expect(a.shared).toBe(true);
    a.forward(g.vm, 7);
    aDev.assert();
    expect(aTrig.count).toBe(1);
    expect(line.active).toBe(true);
    // B asserts while A's guest has not deactivated the line: no host interrupt, B starves.
    bDev.assert();
    bDev.deassert();
    bDev.assert();
    expect(bTrig.count).toBe(0);
    expect(b.triggers).toBe(0);
    expect(line.blockedWhileActive).toBe(2);
    expect(g.host.counters.get('blockedWhileActive')).toBe(2);
    expect(hostEvents(events, 'blocked-while-active', line)).toHaveLength(2);
    // Every interrupt on the line is claimed by A's handler, so the spurious detector (HOST-1.4)
    // never notices the starvation.
    expect(line.unhandled).toBe(0);
    expect(line.spuriousDisabled).toBe(false);
    // Only A's guest can release B: its deactivation lets the line fire for B — and A's handler
    // signals A again although A no longer asserts (a spurious interrupt to A's guest).
    aDev.deassert();
    line.deactivate(); // stands for A's guest deactivating its HW-mapped interrupt
    expect(bTrig.count).toBe(1);
    expect(aTrig.count).toBe(2);
    expect(line.active).toBe(true); // held again, now for B's interrupt, until A's guest acts
  });

  it('HOST-S8: the same line with the masking handler on A serves B at once', () => {
    const { add, line } = bench();
    const a = add('A', true);
    const b = add('B', true);
    a.device.assert();
    b.device.assert();
    expect(b.trigger.count).toBe(1);
    expect(a.trigger.count).toBe(1);
    expect(line.blockedWhileActive).toBe(0);
  });

  it('CORE-6.14: replumb unmasks even a device left masked waiting for a resample that the deassign dropped', () => {
    const s = onGuest(true, 4);
    s.device.assert();
    expect(s.intx.masked).toBe(true);
    expect(s.chip.deliveries[4]).toBe(1);
    s.intx.replumb(() => {
      s.vm.irqfds.deassign({ eventfd: s.trigger, gsi: 4 });
      s.vm.irqfds.assign({ eventfd: s.trigger, gsi: 5, resamplefd: s.resamplefd });
    });
    // The device still wants service: the missed interrupt fires through the new GSI.
    expect(s.chip.deliveries[5]).toBe(1);
    s.device.deassert();
    s.chip.eoi(5);
    expect(s.intx.masked).toBe(false);
  });

  it('HOST-2.3/2.5 property: on a shared line no 2.3 device loses an interrupt or gets a spurious one', () => {
    const action = fc.oneof(
      fc.record({ op: fc.constant('assert' as const), i: fc.nat(3) }),
      fc.record({ op: fc.constant('deassert' as const), i: fc.nat(3) }),
      fc.record({ op: fc.constant('unmask' as const), i: fc.nat(3) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.array(action, { maxLength: 60 }), (n, ops) => {
        const { add, line } = bench();
        const devs = Array.from({ length: n }, (_, i) => {
          const unmask = new EventFd();
          const d = add(`d${i}`, true, { unmask });
          return { ...d, unmask, outstanding: false, spurious: 0, doubled: 0 };
        });
        // The VMM's view: a trigger is a notification it owes an unmask for.
        for (const d of devs) {
          d.trigger.listen(() => {
            d.trigger.read();
            if (!d.device.interruptStatus) d.spurious++;
            if (d.outstanding) d.doubled++;
            d.outstanding = true;
          });
        }
        for (const { op, i } of ops) {
          const d = devs[i % n]!;
          if (op === 'assert') d.device.assert();
          else if (op === 'deassert') d.device.deassert();
          else {
            d.outstanding = false; // the guest completed it; the resamplefd unmasks
            d.unmask.signal();
          }
          for (const x of devs) {
            // No lost interrupt: an asserting device has been signalled and not yet unmasked.
            expect(!x.device.interruptStatus || x.outstanding).toBe(true);
            expect(x.spurious).toBe(0);
            expect(x.doubled).toBe(0);
          }
          expect(line.unhandled).toBe(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('HOST-2.5 property: end to end through resampling irqfds, an asserting device always has an interrupt in the guest', () => {
    const action = fc.oneof(
      fc.record({ op: fc.constant('assert' as const), i: fc.nat(3) }),
      fc.record({ op: fc.constant('deassert' as const), i: fc.nat(3) }),
      fc.record({ op: fc.constant('eoi' as const), i: fc.nat(3) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.array(action, { maxLength: 60 }), (n, ops) => {
        const g = createGuest();
        const line = g.host.irqs.createLine();
        const devs = Array.from({ length: n }, (_, i) => {
          const device = new PciDevice(`d${i}`, line, true);
          const trigger = new EventFd();
          const resamplefd = new EventFd();
          const gsi = 10 + i;
          g.vm.irqfds.assign({ eventfd: trigger, gsi, resamplefd });
          new VfioPciIntx(g.host, device, { trigger, unmask: resamplefd });
          return { device, gsi };
        });
        for (const { op, i } of ops) {
          const d = devs[i % n]!;
          const before = devs.map((x) => g.chip.deliveries[x.gsi]!);
          if (op === 'assert') d.device.assert();
          else if (op === 'deassert') d.device.deassert();
          else g.chip.eoi(d.gsi); // the guest completes its interrupt (if it has one)
          devs.forEach((x, k) => {
            // No lost interrupt: an asserting device has an interrupt the guest still holds.
            if (x.device.interruptStatus) expect(g.chip.inServiceNow(x.gsi)).toBe(true);
            // No spurious one: a new delivery only for a device that asserts.
            if (g.chip.deliveries[x.gsi]! > before[k]!) expect(x.device.interruptStatus).toBe(true);
          });
        }
        expect(line.unhandled).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
});
