import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ArmMachine, createArmMachine, translate } from '../src/index.js';
import {
  distWrite,
  enableAll,
  ICENABLER,
  ISENABLER,
  itsCommand,
  itsDriver,
  line,
  msi,
  rdWrite,
  setPriority,
  setTrigger,
} from './helpers.js';

const N = 8; // SPIs 32..39

type Op =
  | { op: 'inject'; i: number }
  | { op: 'prio'; i: number; p: number }
  | { op: 'pmr'; p: number }
  | { op: 'take' }
  | { op: 'eoi' }
  | { op: 'dir'; k: number }
  | { op: 'enable'; i: number; on: boolean }
  | { op: 'exit'; to: 'host' | 'blocked' | 'preempted' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('inject' as const), i: fc.nat(N - 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('prio' as const), i: fc.nat(N - 1), p: fc.nat(30) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('pmr' as const), p: fc.nat(31) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('take' as const) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('eoi' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dir' as const), k: fc.nat(7) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('enable' as const),
      i: fc.nat(N - 1),
      on: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('exit' as const),
      to: fc.constantFrom('host' as const, 'blocked' as const, 'preempted' as const),
    }),
  },
);

const cfgArb = fc.record({
  gic: fc.constantFrom('v2' as const, 'v3' as const),
  lrs: fc.integer({ min: 1, max: 4 }),
  eoiMode: fc.constantFrom(0 as const, 1 as const),
  level: fc.array(fc.boolean(), { minLength: N, maxLength: N }),
  prio: fc.array(fc.nat(30), { minLength: N, maxLength: N }),
});

/** The guest and its devices, with a reference model of what must be pending. */
class Harness {
  readonly pending = new Set<number>();
  readonly active: Array<{ intid: number; prio: number }> = [];
  readonly dropped: number[] = [];
  readonly enabled = new Array<boolean>(N).fill(true);
  readonly high = new Array<boolean>(N).fill(false);
  pmr = 0xf8;

  constructor(
    readonly m: ArmMachine,
    readonly level: boolean[],
    readonly eoiMode: 0 | 1,
  ) {}

  prio(intid: number): number {
    return this.m.irq(intid)!.priority;
  }

  isActive(intid: number): boolean {
    return this.active.some((a) => a.intid === intid) || this.dropped.includes(intid);
  }

  rpr(): number {
    return this.active.length === 0 ? 0xff : this.active[this.active.length - 1]!.prio;
  }

  signalable(): number[] {
    const rpr = this.rpr();
    return [...this.pending].filter(
      (x) =>
        this.enabled[x - 32] && !this.isActive(x) && this.prio(x) < this.pmr && this.prio(x) < rpr,
    );
  }

  apply(o: Op): void {
    const m = this.m;
    switch (o.op) {
      case 'inject': {
        const x = 32 + o.i;
        if (this.level[o.i]) {
          if (this.high[o.i]) return;
          this.high[o.i] = true;
        }
        line(m, x, 1);
        this.pending.add(x);
        return;
      }
      case 'prio':
        setPriority(m, 32 + o.i, o.p * 8);
        return;
      case 'pmr':
        m.cpu(0).pmr = o.p * 8;
        this.pmr = Math.min(o.p * 8, 0xf8);
        return;
      case 'enable':
        distWrite(m, (o.on ? ISENABLER : ICENABLER) + 4, 1 << o.i);
        this.enabled[o.i] = o.on;
        return;
      case 'exit':
        m.setRunState(0, o.to);
        return;
      case 'take':
        this.take();
        return;
      case 'eoi': {
        const top = this.active.pop();
        if (top === undefined) return;
        m.cpu(0).eoir(top.intid);
        if (this.eoiMode === 1) this.dropped.push(top.intid);
        return;
      }
      case 'dir': {
        if (this.eoiMode === 0 || this.dropped.length === 0) return;
        const [x] = this.dropped.splice(o.k % this.dropped.length, 1);
        m.cpu(0).dir(x!);
        return;
      }
    }
  }

  take(): number {
    const m = this.m;
    const can = this.signalable();
    const t = m.cpu(0).iar() & 0x3ff;
    if (t === 1023) {
      // No lost wake-up: nothing the reference can deliver was withheld.
      expect(can).toEqual([]);
      return t;
    }
    // No spurious interrupt: it was pending, enabled, not active, and the best candidate.
    expect(can).toContain(t);
    expect(this.prio(t)).toBe(Math.min(...can.map((x) => this.prio(x))));
    this.pending.delete(t);
    this.active.push({ intid: t, prio: this.prio(t) });
    if (this.level[t - 32]) {
      line(m, t, 0); // the guest services the device
      this.high[t - 32] = false;
    }
    return t;
  }

  /** Completes everything, then takes until nothing is left: the reference must empty. */
  drain(): void {
    const m = this.m;
    m.cpu(0).pmr = 0xf8;
    this.pmr = 0xf8;
    for (let i = 0; i < N; i++) if (!this.enabled[i]) this.apply({ op: 'enable', i, on: true });
    while (this.active.length > 0) this.apply({ op: 'eoi' });
    while (this.dropped.length > 0) this.apply({ op: 'dir', k: 0 });
    for (let guard = 0; guard < 64; guard++) {
      const t = this.take();
      if (t === 1023) break;
      this.apply({ op: 'eoi' });
      if (this.eoiMode === 1) this.apply({ op: 'dir', k: 0 });
    }
    expect([...this.pending]).toEqual([]);
  }
}

type Cfg = typeof cfgArb extends fc.Arbitrary<infer T> ? T : never;

function build(cfg: Cfg): Harness {
  const m = createArmMachine({ vcpus: 1, gic: cfg.gic, listRegisters: cfg.lrs, nrSpis: 32 });
  enableAll(m);
  for (let i = 0; i < N; i++) {
    if (cfg.level[i]) setTrigger(m, 32 + i, 'level');
    setPriority(m, 32 + i, cfg.prio[i]! * 8);
  }
  m.cpu(0).eoiMode = cfg.eoiMode;
  return new Harness(m, cfg.level, cfg.eoiMode);
}

describe('properties (fast-check)', () => {
  it('ARM-3.13 no lost and no spurious interrupt: random injections, priorities, PMR, acks, EOIs, DIRs, 1..4 LRs', () => {
    fc.assert(
      fc.property(cfgArb, fc.array(opArb, { maxLength: 60 }), (cfg, ops) => {
        const h = build(cfg);
        for (const o of ops) h.apply(o);
        h.drain();
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('ARM-5.6 random ITS command sequences keep the translation cache consistent with the tables', () => {
    type ItsOp =
      | { op: 'mapd'; dev: number; size: number; v: boolean }
      | { op: 'mapc'; icid: number; rd: number; v: boolean }
      | { op: 'mapti'; dev: number; ev: number; lpi: number; icid: number }
      | { op: 'movi'; dev: number; ev: number; icid: number }
      | { op: 'discard' | 'inv' | 'int' | 'clear'; dev: number; ev: number }
      | { op: 'movall'; a: number; b: number }
      | { op: 'msi'; dev: number; ev: number }
      | { op: 'lpis'; vcpu: number; on: boolean }
      | { op: 'its'; on: boolean };
    const dev = fc.nat(1);
    const ev = fc.nat(2);
    const itsOp: fc.Arbitrary<ItsOp> = fc.oneof(
      fc.record({ op: fc.constant('mapd' as const), dev, size: fc.nat(4), v: fc.boolean() }),
      fc.record({
        op: fc.constant('mapc' as const),
        icid: fc.nat(2),
        rd: fc.nat(1),
        v: fc.boolean(),
      }),
      fc.record({
        op: fc.constant('mapti' as const),
        dev,
        ev,
        lpi: fc.integer({ min: 8192, max: 8197 }),
        icid: fc.nat(2),
      }),
      fc.record({ op: fc.constant('movi' as const), dev, ev, icid: fc.nat(2) }),
      fc.record({
        op: fc.constantFrom('discard' as const, 'inv' as const, 'int' as const, 'clear' as const),
        dev,
        ev,
      }),
      fc.record({ op: fc.constant('movall' as const), a: fc.nat(1), b: fc.nat(1) }),
      fc.record({ op: fc.constant('msi' as const), dev, ev }),
      fc.record({ op: fc.constant('msi' as const), dev, ev }),
      fc.record({ op: fc.constant('msi' as const), dev, ev }),
      fc.record({ op: fc.constant('lpis' as const), vcpu: fc.nat(1), on: fc.boolean() }),
      fc.record({ op: fc.constant('its' as const), on: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(itsOp, { maxLength: 40 }), (ops) => {
        const m = createArmMachine({ vcpus: 2, its: true, nrSpis: 32 });
        const d = itsDriver(m);
        d.setup();
        for (let l = 8192; l <= 8200; l++) d.setLpiConfig(l, 0x80, true);
        // A populated start, so translations (and cache entries) are common.
        d.submit(itsCommand.mapd(0, 2, d.itt(0)), itsCommand.mapd(1, 2, d.itt(1)));
        d.submit(itsCommand.mapc(0, 0), itsCommand.mapc(1, 1));
        for (let i = 0; i < 6; i++)
          d.submit(itsCommand.mapti((i >> 1) & 1, i % 3, 8192 + i, i & 1));
        const its = m.its!;
        for (const o of ops) {
          switch (o.op) {
            case 'mapd':
              d.submit(itsCommand.mapd(o.dev, o.size, d.itt(o.dev), o.v));
              break;
            case 'mapc':
              d.submit(itsCommand.mapc(o.icid, o.rd, o.v));
              break;
            case 'mapti':
              d.submit(itsCommand.mapti(o.dev, o.ev, o.lpi, o.icid));
              break;
            case 'movi':
              d.submit(itsCommand.movi(o.dev, o.ev, o.icid));
              break;
            case 'movall':
              d.submit(itsCommand.movall(o.a, o.b));
              break;
            case 'msi':
              try {
                m.vm.signalMsi(msi(o.dev, o.ev));
              } catch {
                // EBUSY with the ITS or LPIs disabled
              }
              break;
            case 'lpis':
              rdWrite(m, o.vcpu, 0, o.on ? 1 : 0);
              break;
            case 'its':
              m.mmio.write(0, m.layout.its, 4, o.on ? 1 : 0);
              break;
            default:
              d.submit(itsCommand[o.op](o.dev, o.ev));
          }
          for (const [key, irq] of its.cache) {
            const t = translate(its, Math.floor(key / 0x10000), key % 0x10000);
            expect(t?.irq).toBe(irq);
            expect(its.enabled).toBe(true);
            expect(m.gic.lpis.get(irq.intid)).toBe(irq);
          }
        }
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('CONF-08 save → restore at a random point behaves identically afterwards', () => {
    fc.assert(
      fc.property(cfgArb, fc.array(opArb, { maxLength: 40 }), fc.nat(40), (cfg, ops, cut) => {
        const k = Math.min(cut, ops.length);
        const a = build(cfg);
        for (const o of ops.slice(0, k)) a.apply(o);
        const snap = JSON.parse(JSON.stringify(a.m.save()));
        const b = build(cfg);
        b.m.restore(snap);
        // The restored guest continues from the same reference state.
        for (const x of a.pending) b.pending.add(x);
        b.active.push(...a.active);
        b.dropped.push(...a.dropped);
        a.enabled.forEach((e, i) => {
          b.enabled[i] = e;
        });
        a.high.forEach((e, i) => {
          b.high[i] = e;
        });
        b.pmr = a.pmr;
        const trace = (h: Harness): number[] => {
          const out: number[] = [];
          for (const o of ops.slice(k)) {
            if (o.op === 'take') out.push(h.take());
            else h.apply(o);
          }
          out.push(h.m.cpu(0).rpr, h.m.cpu(0).pmr);
          return out;
        };
        expect(trace(b)).toEqual(trace(a));
        expect(b.m.save()).toEqual(a.m.save());
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});
