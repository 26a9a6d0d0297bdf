import { describe, expect, it } from 'vitest';
import { HCR, MISR } from '../src/index.js';
import {
  bit,
  distWrite,
  eoi,
  fixture,
  ICENABLER,
  ISACTIVER,
  line,
  setPriority,
  take,
  track,
} from './helpers.js';

function misrs(m: ReturnType<typeof fixture>): number[] {
  const seen: number[] = [];
  m.trace.subscribe((e) => {
    if (e.type === 'arm.maintenance') seen.push(e.misr);
  });
  return seen;
}

describe('arm.md §3.1–3.4 ap_list and queueing', () => {
  it('ARM-3.1 oracle: active IRQs stay put, pending ones go to their target, else nowhere', () => {
    const m = fixture({ vcpus: 2 });
    line(m, 40, 1);
    expect(m.irq(40)!.vcpu?.id).toBe(0);
    expect(take(m, 0)).toBe(40);
    m.mmio.write64(1, m.layout.dist + 0x6000 + 8 * 40, BigInt(m.vcpuState(1).affinity));
    m.setRunState(0, 'host');
    expect(m.irq(40)!.vcpu?.id).toBe(0); // active: stays on vCPU 0
    m.setRunState(0, 'guest');
    eoi(m, 40, 0);
    m.setRunState(0, 'host');
    expect(m.irq(40)!.vcpu).toBeNull(); // neither pending nor active: dropped
  });

  it('ARM-3.2 with the distributor disabled nothing is queued; enabling kicks', () => {
    const m = fixture();
    distWrite(m, 0, 0);
    line(m, 32, 1);
    expect(m.irq(32)!.vcpu).toBeNull();
    const d = track(m);
    distWrite(m, 0, 2);
    expect(m.irq(32)!.vcpu?.id).toBe(0);
    expect(d('exits.mmio')).toBe(1);
    expect(take(m)).toBe(32);
  });

  it('ARM-3.3 queue appends at the tail; an IRQ already listed is not moved but its vCPU is kicked', () => {
    const m = fixture();
    m.setRunState(0, 'host');
    line(m, 34, 1);
    line(m, 32, 1);
    line(m, 33, 1);
    expect(
      m
        .vcpuState(0)
        .apEntries()
        .map((i) => i.intid),
    ).toEqual([34, 32, 33]);
    m.setRunState(0, 'guest');
    const d = track(m);
    line(m, 32, 1);
    expect(d('exits.kick')).toBe(1);
    expect(
      m
        .vcpuState(0)
        .apEntries()
        .filter((i) => i.intid === 32),
    ).toHaveLength(1);
  });

  it('ARM-3.4 kick: a running vCPU exits, a blocked one wakes, others only get the request', () => {
    const m = fixture({ vcpus: 3 });
    m.setRunState(1, 'blocked');
    m.setRunState(2, 'preempted');
    for (const [v, intid] of [
      [0, 40],
      [1, 41],
      [2, 42],
    ] as const) {
      m.mmio.write64(0, m.layout.dist + 0x6000 + 8 * intid, BigInt(m.vcpuState(v).affinity));
    }
    m.setRunState(1, 'blocked');
    const d = track(m);
    line(m, 40, 1);
    line(m, 41, 1);
    line(m, 42, 1);
    expect(d('exits.kick', 0)).toBe(1);
    expect(d('wakeups', 1)).toBe(1);
    expect(m.runState(1)).toBe('guest');
    expect(d('exits.kick', 2) + d('wakeups', 2)).toBe(0);
    expect(m.vcpuState(2).irqPending).toBe(true);
  });
});

describe('arm.md §3.3 flush', () => {
  it('ARM-3.5 the summary counts one per GICv2 SGI source, and overflow is pend + act > nrLr', () => {
    const m = fixture({ gic: 'v2', vcpus: 3, listRegisters: 1 });
    m.setRunState(0, 'host');
    distWrite(m, 0xf00, (1 << 16) | 3, 1);
    distWrite(m, 0xf00, (1 << 16) | 3, 2);
    m.setRunState(0, 'guest');
    const hcr = m.vcpuState(0).hcr;
    expect(hcr & HCR.NPIE).not.toBe(0); // 2 sources > 1 LR
    expect(hcr & HCR.UIE).not.toBe(0);
  });

  it('ARM-3.6 the ap_list is sorted only on overflow: pending first, by priority, HW first', () => {
    const m = fixture();
    m.setRunState(0, 'host');
    setPriority(m, 32, 0x80);
    setPriority(m, 33, 0x40);
    m.setRunState(0, 'host');
    line(m, 32, 1);
    line(m, 33, 1);
    m.setRunState(0, 'guest');
    expect([0, 1].map((n) => m.vcpuState(0).lr.vintid[n])).toEqual([32, 33]);
    eoi(m, take(m));
    eoi(m, take(m));
    const n = fixture({ listRegisters: 1 });
    n.setRunState(0, 'host');
    setPriority(n, 32, 0x80);
    setPriority(n, 33, 0x40);
    n.setRunState(0, 'host');
    line(n, 32, 1);
    line(n, 33, 1);
    n.setRunState(0, 'guest');
    expect(n.vcpuState(0).lr.vintid[0]).toBe(33);
  });

  it('ARM-3.7 populate: level gets EOI, edge pending moves into the LR, priority and group copied', () => {
    const m = fixture({}, [32]);
    setPriority(m, 33, 0x30);
    line(m, 32, 1);
    line(m, 33, 1);
    const lr = m.vcpuState(0).lr;
    const n32 = lr.vintid[0] === 32 ? 0 : 1;
    const n33 = 1 - n32;
    expect(lr.eoi[n32]).toBe(1);
    expect(lr.eoi[n33]).toBe(0);
    expect(m.irq(33)!.pendingLatch).toBe(false);
    expect(lr.priority[n33]).toBe(0x30);
    expect(lr.group[n33]).toBe(1);
    expect(Number((lr.ich(n33) >> 48n) & 0xffn)).toBe(0x30);
    expect((lr.gich(n33) >>> 23) & 0x1f).toBe(0x30 >>> 3);
    expect(lr.ich(n32) >> 62n).toBe(1n);
  });

  it('ARM-3.8 ICH_HCR at entry', () => {
    const m = fixture({ listRegisters: 2 });
    m.setRunState(0, 'host');
    for (const i of [32, 33, 34]) line(m, i, 1);
    m.setRunState(0, 'guest');
    const h = m.vcpuState(0).hcr;
    expect(h & HCR.En).not.toBe(0);
    expect(h & HCR.NPIE).not.toBe(0);
    expect(h & HCR.UIE).not.toBe(0);
    expect(h & HCR.LRENPIE).toBe(0); // nothing active
    expect(h & HCR.VGrp1DIE).not.toBe(0);
    expect(h & HCR.VGrp0EIE).not.toBe(0);
    expect(h & HCR.TDIR).not.toBe(0); // activeSpis > 0
    expect(m.gic.activeSpis).toBeGreaterThan(0);
    const q = fixture({ vcpus: 2 });
    expect(q.vcpuState(1).hcr & HCR.TDIR).toBe(0);
    const d = track(q);
    line(q, 32, 1);
    expect(d('exits.kick', 1)).toBe(1); // activeSpis 0 → 1 kicks every vCPU
    expect(q.vcpuState(1).hcr & HCR.TDIR).not.toBe(0);
  });
  it('ARM-3.8, ARM-3.12: HCR and MISR carry the architected ICH_HCR_EL2 / ICH_MISR_EL2 bit positions', () => {
    // GIC architecture spec (IHI 0069), ICH_HCR_EL2 and ICH_MISR_EL2 field positions.
    const hcrBits = {
      En: 0,
      UIE: 1,
      LRENPIE: 2,
      NPIE: 3,
      VGrp0EIE: 4,
      VGrp0DIE: 5,
      VGrp1EIE: 6,
      VGrp1DIE: 7,
      vSGIEOICount: 8,
      TC: 10,
      TALL0: 11,
      TALL1: 12,
      TDIR: 14,
    };
    const misrBits = { EOI: 0, U: 1, LRENP: 2, NP: 3, VGrp0E: 4, VGrp0D: 5, VGrp1E: 6, VGrp1D: 7 };
    const masks = (bits: Record<string, number>) =>
      Object.fromEntries(Object.entries(bits).map(([k, b]) => [k, 1 << b]));
    expect(HCR).toEqual(masks(hcrBits));
    expect(MISR).toEqual(masks(misrBits));
  });
});

describe('arm.md §3.4 sync', () => {
  it('ARM-3.9 fold: EOI of a software level SPI notifies; untouched LRs fold back unchanged', () => {
    const m = fixture({}, [32]);
    line(m, 33, 1);
    m.setRunState(0, 'host');
    expect(m.irq(33)!.pendingLatch).toBe(true);
    m.setRunState(0, 'guest');
    expect(m.vcpuState(0).lr.state[0]).toBe(1); // folded back and presented again
    eoi(m, take(m));
    const acks: number[] = [];
    m.vm.registerAckNotifier({ gsi: 0, onAck: () => acks.push(0) });
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    line(m, 32, 0);
    eoi(m, 32);
    expect(acks).toEqual([0]);
  });

  it('ARM-3.10 EOIcount replays deactivations of actives outside the LRs', () => {
    const m = fixture({ listRegisters: 1 });
    for (let i = 0; i < 3; i++) setPriority(m, 32 + i, 0x80 - 0x10 * i);
    for (let i = 0; i < 3; i++) {
      line(m, 32 + i, 1);
      expect(take(m)).toBe(32 + i);
    }
    const seen = misrs(m);
    eoi(m, 34);
    eoi(m, 33);
    eoi(m, 32);
    expect(seen.some((x) => (x & MISR.LRENP) !== 0)).toBe(true);
    for (let i = 0; i < 3; i++) expect(bit(m, ISACTIVER, 32 + i)).toBe(0);
    expect(m.cpu(0).rpr).toBe(0xff);
  });

  it('ARM-3.11 prune drops dead entries and moves retargeted ones (with a kick)', () => {
    const m = fixture({ vcpus: 2 });
    m.setRunState(0, 'host');
    line(m, 40, 1);
    line(m, 41, 1);
    m.mmio.write64(1, m.layout.dist + 0x6000 + 8 * 41, BigInt(m.vcpuState(1).affinity));
    distWrite(m, ICENABLER + 4, 1 << 8, 1);
    const d = track(m);
    m.setRunState(0, 'guest');
    m.setRunState(0, 'host');
    expect(m.vcpuState(0).apLen).toBe(0);
    expect(m.irq(40)!.vcpu).toBeNull();
    expect(m.irq(41)!.vcpu?.id).toBe(1);
    expect(d('exits.kick', 1)).toBe(1);
  });

  it('ARM-3.12 maintenance reasons: EOI, U, NP, LRENP, VGrp enable/disable', () => {
    const m = fixture({}, [32]);
    const seen = misrs(m);
    // EOI: a software level IRQ deactivated.
    line(m, 32, 1);
    take(m);
    line(m, 32, 0);
    eoi(m, 32);
    expect(seen.at(-1)! & MISR.EOI).toBe(MISR.EOI);
    // NP: EOImode 1 keeps the LRs active; once none is pending, NPIE fires.
    m.cpu(0).eoiMode = 1;
    m.setRunState(0, 'host');
    for (let i = 33; i < 39; i++) line(m, i, 1);
    m.setRunState(0, 'guest');
    for (let k = 0; k < 4; k++) m.cpu(0).eoir(take(m));
    expect(seen.at(-1)! & MISR.NP).toBe(MISR.NP);
    // Group disable / enable.
    m.cpu(0).setGroupEnabled(1, false);
    expect(seen.at(-1)! & MISR.VGrp1D).toBe(MISR.VGrp1D);
    m.cpu(0).setGroupEnabled(1, true);
    expect(seen.at(-1)! & MISR.VGrp1E).toBe(MISR.VGrp1E);
    // U: with overflow, the valid LRs fall to one.
    const u = fixture({ listRegisters: 2 });
    const useen = misrs(u);
    u.setRunState(0, 'host');
    for (const i of [32, 33, 34]) line(u, i, 1);
    u.setRunState(0, 'guest');
    eoi(u, take(u));
    expect(useen.at(-1)! & MISR.U).toBe(MISR.U);
    // LRENP: an EOI of an active IRQ outside the LRs.
    const l = fixture({ listRegisters: 1 });
    const lseen = misrs(l);
    setPriority(l, 33, 0x40);
    line(l, 32, 1);
    take(l);
    line(l, 33, 1);
    take(l);
    eoi(l, 33);
    eoi(l, 32);
    expect(lseen.some((x) => (x & MISR.LRENP) !== 0)).toBe(true);
  });

  it('ARM-3.13 LR overflow: every IRQ is delivered once per pending episode, ≥ 1 maintenance per batch', () => {
    const m = fixture({ listRegisters: 2 });
    m.setRunState(0, 'host');
    for (let i = 0; i < 8; i++) line(m, 32 + i, 1);
    const d = track(m);
    m.setRunState(0, 'guest');
    const got: number[] = [];
    for (let t = take(m); t !== 1023; t = take(m)) {
      got.push(t);
      eoi(m, t);
    }
    expect(got.sort()).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
    expect(d('exits.maintenance')).toBeGreaterThanOrEqual(3);
  });
});
