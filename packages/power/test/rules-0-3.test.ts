import { IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import {
  createPowerMachine,
  decodeIrq,
  H_PARAMETER,
  IRQ_PER_ICS,
  MASKED,
  NR_IRQS,
} from '../src/index.js';
import {
  A,
  B,
  events,
  icp,
  L,
  MSI_RESET,
  machine,
  rtas,
  SET_LEVEL,
  setXive,
  st,
  std,
  trig,
  UNSET,
} from './fixture.js';

describe('PWR §0 conventions', () => {
  it('PWR-0.1: lower is more favoured; equal does not beat; 0xFF on a source masks', () => {
    const m = std();
    setXive(m, A, 1, 4);
    setXive(m, B, 1, 3);
    trig(m, A);
    trig(m, B); // 3 beats 4: B displaces A
    expect(icp(m, 1)).toMatchObject({ xisr: B, ppri: 3 });
    m.setSource(0x1002, MSI_RESET);
    setXive(m, 0x1002, 1, 3);
    trig(m, 0x1002); // 3 does not beat 3
    expect(icp(m, 1).xisr).toBe(B);
    setXive(m, 0x1003, 1, 0xff);
    m.setSource(0x1003, MSI_RESET);
    trig(m, 0x1003);
    expect(m.sourceState(0x1003)!.maskedPending).toBe(true);
  });

  it('PWR-0.2: the model is sequential: a failed offer is attempted exactly once', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    const before = m.counters.snapshot();
    trig(m, A);
    const d = m.counters.delta(before);
    expect(d['xics.failed']).toBe(1);
    expect(d['xics.presented']).toBeUndefined();
    expect(m.sourceState(A)!.resend).toBe(true);
  });

  it('PWR-0.3: 64-bit words are bigints; hcall registers use only the bits each rule names', () => {
    const m = std();
    expect(typeof m.getSource(A)).toBe('bigint');
    expect(typeof m.getIcp(0)).toBe('bigint');
    expect(() => m.setSource(A, 0x2ff00000000 as unknown as bigint)).toThrow(IrqError);
    setXive(m, A, 1, 5);
    trig(m, A);
    m.hXirr(1);
    // H_EOI uses r4 & 0xFFFFFFFF: the high word is ignored
    expect(m.hcall(1, 0x64, 0xdead_beef_ff00_1000n).r3).toBe(0);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0xff, 0));
    // H_IPI uses r4 & 0xFFFFFFFF for the server
    expect(m.hcall(0, 0x6c, 0x1_0000_0002n, 4n).r3).toBe(0);
    expect(icp(m, 2)).toEqual(st(0xff, 4, 4, 2));
  });

  it('PWR-0.4: events come in order of occurrence with level and reason on exits', () => {
    const m = std();
    const ev = events(
      m,
      () => {
        setXive(m, A, 1, 5);
        trig(m, A);
        m.hXirr(1);
        m.hEoi(1, 0xff001000);
      },
      true,
    );
    expect(ev).toEqual([
      'exit(0,vm,rtas)',
      'eeRaise(1)',
      'kick(1)',
      'exit(1,vm,hcall)',
      'eeLower(1)',
      'exit(1,vm,hcall)',
      'ack(0x1000)',
    ]);
  });
});

describe('PWR §1 interrupt numbers and source controllers', () => {
  it('PWR-1.1: an irq ≥ 0x100000 or in a never-created ICS finds no ICS, and each operation fails as its rule says', () => {
    const m = std();
    expect(decodeIrq(NR_IRQS)).toBeNull();
    expect(decodeIrq(-1)).toBeNull();
    for (const irq of [0x100000, 0x2000]) {
      expect(m.trigger(irq, 1)).toBe(-22);
      expect(rtas(m, 'ibm,get-xive', [irq])[0]).toBe(-3);
      expect(m.sourceState(irq)).toBeNull();
      expect(m.hcall(0, 0x64, BigInt(0xff000000 + (irq & 0xffffff))).r3).toBe(H_PARAMETER);
    }
  });

  it('PWR-1.2: sources exist only for 16..0xFFFFF; 0..15 are looked up in ICS 0 but never exist', () => {
    const m = createPowerMachine({ vcpus: 1 });
    for (const irq of [0, 2, 15]) expect(() => m.setSource(irq, MSI_RESET)).toThrow(/ENOENT/);
    m.setSource(16, MSI_RESET);
    expect(m.hasSource(16)).toBe(true);
    expect(m.hasSource(0xfffff)).toBe(true);
    expect(m.hasSource(15)).toBe(false);
    expect(rtas(m, 'ibm,get-xive', [5])).toEqual([0, 0, 0xff]); // ICS 0 exists now
    expect(() => m.getSource(5)).toThrow(/ENOENT/);
    expect(m.trigger(2, 1)).toBe(-22);
  });

  it('PWR-1.3: ICSes appear only through userspace source writes; maxIcsId is the highest', () => {
    const m = createPowerMachine({ vcpus: 2 });
    expect(m.maxIcsId).toBe(-1);
    setXive(m, 0x1c00, 0, 5);
    m.trigger(0x1c00, 1);
    m.hEoi(0, 0xff001c00);
    m.hIpi(0, 1, 5);
    expect(m.icsIds()).toEqual([]);
    m.setSource(0x1c00, MSI_RESET);
    m.setSource(0x1000, MSI_RESET);
    expect(m.icsIds()).toEqual([4, 7]);
    expect(m.maxIcsId).toBe(7);
  });

  it('PWR-1.4: a new ICS has all 1024 slots in reset state', () => {
    const m = createPowerMachine({ vcpus: 1 });
    m.setSource(0x1000, MSI_RESET);
    for (const irq of [0x1001, 0x13ff]) {
      expect(m.sourceState(irq)).toEqual({
        irq,
        server: 0,
        priority: MASKED,
        savedPriority: MASKED,
        lsi: false,
        exists: false,
        resend: false,
        maskedPending: false,
        pq: 0,
      });
    }
    expect(IRQ_PER_ICS).toBe(1024);
  });

  it('PWR-1.5: QEMU layout: numbers 0x1000.. in ICS 4..7, servers = vCPU ids', () => {
    const m = machine(4);
    expect(m.capabilities.lineGsis[0]).toBe(0x1000);
    for (const g of m.capabilities.lineGsis) expect(decodeIrq(g)!.icsId).toBeGreaterThanOrEqual(4);
    expect(decodeIrq(0x1fff)!.icsId).toBe(7);
    expect([0, 1, 2, 3].map((v) => m.server(v))).toEqual([0, 1, 2, 3]);
  });
});

describe('PWR §2 ICS per-source state', () => {
  it('PWR-2.1: MSI P = outstanding, Q = arrived again meanwhile; LSI P = input level', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(m.sourceState(A)!.pq).toBe(1);
    trig(m, A);
    expect(m.sourceState(A)!.pq).toBe(3);
    m.trigger(L, SET_LEVEL);
    expect(m.sourceState(L)!.pq).toBe(1);
    m.trigger(L, UNSET);
    expect(m.sourceState(L)!.pq).toBe(0);
  });

  it('PWR-2.2: only P/Q behaviour: an MSI triggered while outstanding makes no delivery attempt', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    m.hXirr(1);
    const before = m.counters.snapshot();
    trig(m, A);
    trig(m, A);
    const d = m.counters.delta(before);
    expect(d['xics.presented'] ?? 0).toBe(0);
    expect(d['xics.failed'] ?? 0).toBe(0);
    expect(m.sourceState(A)!.pq).toBe(3);
  });

  it('PWR-2.3: resend, masked-pending and P/Q are independent; P stays set meanwhile', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    expect(m.sourceState(A)).toMatchObject({ resend: true, pq: 1 });
    trig(m, A);
    expect(m.sourceState(A)).toMatchObject({ resend: true, pq: 3 });
    setXive(m, B, 1, 5);
    rtas(m, 'ibm,int-off', [B]);
    trig(m, B);
    trig(m, B);
    expect(m.sourceState(B)).toMatchObject({ maskedPending: true, resend: false, pq: 3 });
  });
});

describe('PWR §3 ICP per-server state', () => {
  it('PWR-3.1: quirk "CPPR 0 after connect": nothing is delivered until CPPR is lowered, and nothing is lost', () => {
    const m = createPowerMachine({ vcpus: 2, boot: false });
    expect(m.getIcp(1)).toBe(0x00000000ffff0000n);
    m.setSource(A, MSI_RESET);
    setXive(m, A, 1, 5);
    m.trigger(A, 1);
    expect(icp(m, 1).xisr).toBe(0);
    expect(m.sourceState(A)!.resend).toBe(true);
    m.hCppr(1, 0xff);
    expect(icp(m, 1).xisr).toBe(A);
  });

  it('PWR-3.1: by default createPowerMachine boots every ICP to CPPR 0xFF like a guest driver', () => {
    const m = machine(2);
    expect(m.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(m.counters.get('hcalls.realmode')).toBe(0);
  });

  it('PWR-3.2: XIRR = CPPR << 24 | XISR, as H_XIRR and H_IPOLL return it', () => {
    const m = std();
    m.hCppr(1, 0x7a);
    m.hIpi(0, 1, 0x10);
    expect(m.hcall(0, 0x70, 1n).r4).toBe(0x7a000002n);
    expect(m.hXirr(1)).toBe(0x7a000002);
  });

  it('PWR-3.3: every commit with outEe = 1 raises EE, even when nothing changed for the vCPU', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 6);
    trig(m, A);
    // a failed offer against an ICP that already holds a deliverable irq still raises and kicks
    expect(events(m, () => trig(m, B))).toEqual(['eeRaise(1)', 'kick(1)']);
    expect(m.sourceState(B)!.resend).toBe(true);
  });

  it('PWR-3.3: self commits raise EE without a kick; delivery commits kick even the caller', () => {
    const m = std();
    expect(events(m, () => m.hIpi(1, 1, 4))).toEqual(['eeRaise(1)']);
    m.hXirr(1);
    setXive(m, L, 1, 3);
    const ev = events(m, () => {
      m.trigger(L, SET_LEVEL);
      m.hXirr(1);
      m.hEoi(1, 0x04001200); // re-presents L: a delivery commit by vCPU 1 onto itself
    });
    expect(ev).toContain('kick(1,self)');
  });

  it('PWR-3.4: down-CPPR never lowers EE, even when the commit computes outEe = 0', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    const ev = events(m, () => m.hEoi(1, 0x03000000)); // guest error: outEe becomes 0
    expect(ev.some((e) => e.startsWith('eeLower'))).toBe(false);
    expect(m.icpState(1)!.outEe).toBe(false);
    expect(m.eeLine(1)).toBe(true);
    expect(events(m, () => m.setIcp(2, 0xff000000ffff0000n))).toEqual(['eeLower(2)']);
  });

  it('PWR-3.5: invariants hold after a mixed sequence', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 3);
    setXive(m, L, 1, 4);
    const check = () => {
      for (let v = 0; v < 3; v++) {
        const s = m.icpState(v)!;
        expect(s.xisr === 0).toBe(s.ppri === 0xff);
        if (s.xisr !== 0 && s.xisr !== 2) expect(s.ppri).toBeLessThan(s.mfrr);
        if (s.xisr !== 0) expect(s.ppri).toBeLessThan(s.cppr);
      }
    };
    trig(m, A);
    check();
    m.hIpi(0, 1, 4);
    check();
    trig(m, B);
    check();
    m.trigger(L, SET_LEVEL);
    check();
    m.hXirr(1);
    check();
    m.hCppr(1, 2);
    check();
    m.hEoi(1, 0xff001001);
    check();
    expect(icp(m, 1)).toMatchObject({ xisr: 2, ppri: 4, mfrr: 4 });
  });
});
