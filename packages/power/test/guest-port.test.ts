import { EventFd, IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createPowerMachine, xicsPriority } from '../src/index.js';
import { A, B, icp, L, machine } from './fixture.js';

describe('GuestPort on XICS (configure = claim + set-xive, take = H_XIRR, eoi = H_EOI)', () => {
  it('PWR-6.3: configure claims the number as LSI or MSI and keeps it masked until unmask', () => {
    const m = machine(2);
    m.guest.configure(L, { trigger: 'level', target: 1, priority: 7 });
    expect(m.sourceState(L)).toMatchObject({ lsi: true, exists: true, server: 1, priority: 0xff });
    m.guest.unmask(L);
    expect(m.sourceState(L)).toMatchObject({ priority: xicsPriority(7), savedPriority: 4 });
    m.guest.configure(L, { trigger: 'level', target: 0, priority: 2 }); // unmasked: stays so
    expect(m.sourceState(L)).toMatchObject({ server: 0, priority: 9 });
    m.guest.configure(A, { trigger: 'edge', target: 0, priority: 4 });
    expect(m.sourceState(A)!.lsi).toBe(false);
    m.guest.configure(L, { trigger: 'edge', target: 1, priority: 2 }); // re-claimed as MSI
    expect(m.sourceState(L)).toMatchObject({ lsi: false, server: 1, priority: 9 }); // still unmasked
  });

  it('PWR-6.5: mask is int-off; unmask is set-xive with the configured target and priority', () => {
    const m = machine(2);
    m.guest.configure(A, { trigger: 'edge', target: 1, priority: 6 });
    m.guest.unmask(A);
    m.guest.mask(A);
    expect(m.sourceState(A)).toMatchObject({ priority: 0xff, savedPriority: 5 });
    m.trigger(A, 1);
    expect(m.sourceState(A)!.maskedPending).toBe(true);
    m.guest.unmask(A);
    expect(icp(m, 1).xisr).toBe(A);
  });

  it('PWR-5.4: take returns the XISR, only while the EE line is up; eoi restores the CPPR', () => {
    const m = machine(1);
    m.guest.configureMsi!(A, { target: 0, priority: 3 });
    m.guest.configureMsi!(B, { target: 0, priority: 9 });
    expect(m.guest.take(0)).toBeNull();
    m.trigger(A, 1);
    expect(m.guest.take(0)).toBe(A);
    expect(icp(m, 0).cppr).toBe(xicsPriority(3));
    m.trigger(B, 1); // more urgent: preempts
    expect(m.guest.take(0)).toBe(B);
    m.guest.eoi(0, B);
    expect(icp(m, 0).cppr).toBe(xicsPriority(3));
    m.guest.eoi(0, A);
    expect(icp(m, 0).cppr).toBe(0xff);
    expect(m.guest.take(0)).toBeNull();
  });

  it('PWR-7.6: take skips the stale LSI presentation a resampling irqfd leaves behind', () => {
    const m = machine(1);
    m.guest.configure(L, { trigger: 'level', target: 0, priority: 4 });
    m.guest.unmask(L);
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: L, resamplefd: new EventFd() });
    efd.signal();
    const t = m.guest.take(0);
    expect(t).toBe(L);
    m.guest.eoi(0, t!);
    expect(icp(m, 0).xisr).toBe(L); // the raw ICP shows the stale presentation ...
    expect(m.guest.take(0)).toBeNull(); // ... which the guest finds idle and completes
    expect(m.counters.get('guest.spurious')).toBe(1);
    expect(icp(m, 0)).toMatchObject({ xisr: 0, cppr: 0xff });
  });

  it('PWR-6.2: the port needs the device and in-kernel RTAS tokens; bad values throw IrqError', () => {
    const none = createPowerMachine({ vcpus: 1, xics: 'none' });
    expect(() => none.guest.configure(A, { trigger: 'edge', target: 0, priority: 1 })).toThrow(
      /ENODEV/,
    );
    const noTok = createPowerMachine({ vcpus: 1, rtasTokens: false });
    expect(() => noTok.guest.configure(A, { trigger: 'edge', target: 0, priority: 1 })).toThrow(
      /ENXIO/,
    );
    const m = machine(2);
    const bad = [
      () => m.guest.configure(A, { trigger: 'edge', target: 2, priority: 1 }),
      () => m.guest.configure(A, { trigger: 'edge', target: 0, priority: 12 }),
      () => m.guest.configure(8, { trigger: 'edge', target: 0, priority: 1 }),
      () => m.guest.configure(A, { trigger: 'pulse' as 'edge', target: 0, priority: 1 }),
      () => m.guest.eoi(0, -1),
      () => m.guest.take(5),
    ];
    for (const fn of bad) expect(fn).toThrow(IrqError);
    expect(m.icsIds()).toEqual([]);
  });
});
