import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { X86Machine } from '../src/index.js';
import { ioWrite, mk, rteLo } from './helpers.js';

const PINS = [3, 5, 9, 10] as const;
const VECTORS = [0x30, 0x31, 0x41, 0x5a, 0x6b, 0xd0] as const;

type Op =
  | { k: 'line'; pin: number; source: number; level: boolean }
  | { k: 'low'; pin: number; vector: number; level: boolean; masked: boolean; lowest: boolean }
  | { k: 'high'; pin: number; dest: number }
  | { k: 'take'; vcpu: number }
  | { k: 'eoi'; vcpu: number }
  | { k: 'msi'; vcpu: number; vector: number; level: boolean }
  | { k: 'run'; vcpu: number; state: 'guest' | 'host' | 'preempted' | 'blocked' }
  | { k: 'tpr'; vcpu: number; tpr: number };

const pin = fc.constantFrom(...PINS);
const vcpu = fc.nat(3);
const vector = fc.constantFrom(...VECTORS);
const coreOps: fc.Arbitrary<Op>[] = [
  fc.record({
    k: fc.constant('line' as const),
    pin,
    source: fc.constantFrom(0, 2),
    level: fc.boolean(),
  }),
  fc.record({
    k: fc.constant('low' as const),
    pin,
    vector,
    level: fc.boolean(),
    masked: fc.boolean(),
    lowest: fc.boolean(),
  }),
  fc.record({ k: fc.constant('high' as const), pin, dest: vcpu }),
  fc.record({ k: fc.constant('take' as const), vcpu }),
  fc.record({ k: fc.constant('eoi' as const), vcpu }),
];
const op: fc.Arbitrary<Op> = fc.oneof(...coreOps);
const richOp: fc.Arbitrary<Op> = fc.oneof(
  ...coreOps,
  fc.record({ k: fc.constant('msi' as const), vcpu, vector, level: fc.boolean() }),
  fc.record({
    k: fc.constant('run' as const),
    vcpu,
    state: fc.constantFrom(
      'guest' as const,
      'host' as const,
      'preempted' as const,
      'blocked' as const,
    ),
  }),
  fc.record({ k: fc.constant('tpr' as const), vcpu, tpr: fc.constantFrom(0, 0x30, 0x50) }),
);

/** Applies one op; returns what the caller observed (a Delivery, a token, a vector). */
function apply(m: X86Machine, o: Op): number | null {
  switch (o.k) {
    case 'line':
      return m.vm.setIrq(o.source, o.pin, o.level);
    case 'low':
      ioWrite(
        m,
        0x10 + 2 * o.pin,
        rteLo({ vector: o.vector, level: o.level, masked: o.masked, mode: o.lowest ? 1 : 0 }),
      );
      return null;
    case 'high':
      ioWrite(m, 0x11 + 2 * o.pin, (o.dest << 24) >>> 0);
      return null;
    case 'take':
      return m.guest.take(o.vcpu);
    case 'eoi':
      return m.eoi(o.vcpu);
    case 'msi':
      return m.vm.signalMsi({
        addressLo: (0xfee00000 | (o.vcpu << 12)) >>> 0,
        addressHi: 0,
        data: o.vector | (o.level ? 0x8000 : 0),
      });
    case 'run':
      m.setRunState(o.vcpu, o.state);
      return null;
    case 'tpr':
      m.setTpr(o.vcpu, o.tpr);
      return null;
  }
}

describe('properties', () => {
  it('no interrupt is lost and none is spurious (1000 runs)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, apicv) => {
        const m = mk({ apicv });
        const io = m.ioapic;
        const raised = new Set<number>();
        const noteRaised = () => {
          for (const p of PINS) if ((io.irr >>> p) & 1) raised.add(io.lo[p]! & 0xff);
        };
        for (const o of ops) {
          const loBefore = PINS.map((p) => io.lo[p]!);
          const irrBefore = io.irr;
          const r = apply(m, o);
          noteRaised();
          if (o.k === 'take' && r !== null) {
            // None spurious: every taken vector was raised on some pin.
            expect(raised.has(r)).toBe(true);
          }
          if (o.k === 'line' && o.level) {
            const i = PINS.indexOf(o.pin as (typeof PINS)[number]);
            const lo = loBefore[i]!;
            const rising = ((irrBefore >>> o.pin) & 1) === 0;
            // An unmasked edge pin's rising edge reaches its destination's IRR (or is in service).
            if ((lo & 0x18000) === 0 && rising) {
              const dest = io.hi[o.pin]! >>> 24;
              const v = lo & 0xff;
              const a = m.lapic(dest);
              if (apicv) m.vcpu(dest).syncPir();
              expect(a.irr.test(v) || a.isr.test(v)).toBe(true);
            }
          }
          // Nothing lost: an asserted, unmasked level pin always has its interrupt in flight.
          for (const p of PINS) {
            const lo = io.lo[p]!;
            const asserted = m.vm.lineSources(2, p).length > 0;
            if ((lo & 0x8000) !== 0 && (lo & 0x10000) === 0 && asserted) {
              expect((lo >>> 14) & 1).toBe(1);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('save → restore at a random point behaves identically from then on (1000 runs)', () => {
    fc.assert(
      fc.property(
        fc.array(richOp, { maxLength: 50 }),
        fc.nat(50),
        fc.boolean(),
        (ops, cut, apicv) => {
          const k = Math.min(cut, ops.length);
          const a = mk({ apicv });
          for (const o of ops.slice(0, k)) apply(a, o);
          const snap = JSON.parse(JSON.stringify(a.save()));
          const b = mk({ apicv, vcpus: 4 });
          b.restore(snap);
          expect(b.save()).toEqual(a.save());
          const ca = a.counters.snapshot();
          const cb = b.counters.snapshot();
          const ra: Array<number | null> = [];
          const rb: Array<number | null> = [];
          for (const o of ops.slice(k)) {
            ra.push(apply(a, o));
            rb.push(apply(b, o));
          }
          expect(rb).toEqual(ra);
          expect(b.save()).toEqual(a.save());
          expect(b.counters.delta(cb)).toEqual(a.counters.delta(ca));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
