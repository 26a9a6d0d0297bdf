import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, EventQueue, Histogram, Rng } from '../src/index.js';

describe('engine: event queue', () => {
  it('pops events in time order, ties in push order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const q = new EventQueue(4);
        for (const [i, t] of times.entries()) q.push(t, 0, i, 0);
        const out: Array<[number, number]> = [];
        for (;;) {
          const slot = q.pop();
          if (slot < 0) break;
          out.push([q.timeAt(slot), q.aAt(slot)]);
        }
        const expected = times.map((t, i) => [t, i] as [number, number]);
        expected.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect(out).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('interleaved pushes and pops stay ordered and reuse slots', () => {
    const q = new EventQueue(4);
    q.push(10, 1, 0, 0);
    q.push(5, 2, 0, 0);
    let s = q.pop();
    expect([q.timeAt(s), q.kindAt(s)]).toEqual([5, 2]);
    q.push(7, 3, 0, 0);
    q.push(7, 4, 0, 0);
    s = q.pop();
    expect(q.kindAt(s)).toBe(3);
    s = q.pop();
    expect(q.kindAt(s)).toBe(4);
    s = q.pop();
    expect(q.kindAt(s)).toBe(1);
    expect(q.pop()).toBe(-1);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('engine: virtual clock', () => {
  it('runs handlers at their times, in order, and advances the clock', () => {
    const e = new Engine();
    const seen: string[] = [];
    const k = e.register((a, b) => seen.push(`${e.now}:${a}:${b}`));
    e.at(30, k, 3, 0);
    e.at(10, k, 1, 0);
    e.after(10, k, 2, 9);
    e.at(10, k, 4, 0);
    expect(e.run()).toBe(4);
    expect(seen).toEqual(['10:1:0', '10:2:9', '10:4:0', '30:3:0']);
    expect(e.now).toBe(30);
  });

  it('run(until) stops before later events and leaves the clock at until', () => {
    const e = new Engine();
    let n = 0;
    const k = e.register(() => {
      n++;
      e.after(100, k);
    });
    e.at(0, k);
    e.run(450);
    expect(n).toBe(5); // 0, 100, 200, 300, 400
    expect(e.now).toBe(450);
    expect(e.pending).toBe(1);
    expect(e.nextEventTime()).toBe(500);
  });

  it('handlers may schedule at the current time; times are whole nanoseconds', () => {
    const e = new Engine();
    const seen: number[] = [];
    const k2 = e.register(() => seen.push(e.now));
    const k1 = e.register(() => e.at(e.now, k2));
    e.at(1.4, k1);
    e.run();
    expect(seen).toEqual([1]);
  });

  it('refuses events in the past, unknown kinds, and stops on request', () => {
    const e = new Engine();
    const k = e.register(() => e.stop());
    e.at(5, k);
    e.at(6, k);
    expect(e.run()).toBe(1);
    expect(e.now).toBe(5);
    expect(() => e.at(4, k)).toThrow(RangeError);
    expect(() => e.at(Number.NaN, k)).toThrow(RangeError);
    expect(() => e.at(10, 99)).toThrow(RangeError);
  });
});

describe('engine: order when handlers schedule', () => {
  it('handlers that schedule (ties, the current time, several per event) still run in (time, scheduling order) (property)', () => {
    // Each event schedules up to three more at `now + delay`; the reference is a plain list
    // sorted by (time, scheduling sequence).
    const plan = fc.array(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }), {
      minLength: 1,
      maxLength: 200,
    });
    fc.assert(
      fc.property(plan, fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }), (p, seeds) => {
        const e = new Engine();
        const seen: string[] = [];
        let id = 0;
        const k = e.register((a) => {
          seen.push(`${e.now}:${a}`);
          for (const d of p[a % p.length]!) if (id < 400) e.at(e.now + d, k, id++);
        });
        const ref: Array<{ t: number; seq: number; a: number }> = [];
        let seq = 0;
        const expected: string[] = [];
        for (const t of seeds) {
          e.at(t, k, id);
          ref.push({ t, seq: seq++, a: id++ });
        }
        // Reference run, scheduling the same events.
        let rid = seeds.length;
        while (ref.length > 0) {
          ref.sort((x, y) => x.t - y.t || x.seq - y.seq);
          const ev = ref.shift()!;
          expected.push(`${ev.t}:${ev.a}`);
          for (const d of p[ev.a % p.length]!) {
            if (rid < 400) ref.push({ t: ev.t + d, seq: seq++, a: rid++ });
          }
        }
        e.run();
        expect(seen).toEqual(expected);
        expect(e.pending).toBe(0);
        expect(e.events).toBe(expected.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('pending and nextEventTime count the event scheduled last', () => {
    const e = new Engine();
    const k = e.register(() => {});
    expect(e.nextEventTime()).toBe(Number.POSITIVE_INFINITY);
    e.at(30, k);
    expect([e.pending, e.nextEventTime()]).toEqual([1, 30]);
    e.at(20, k);
    expect([e.pending, e.nextEventTime()]).toEqual([2, 20]);
    expect(e.step()).toBe(true);
    expect([e.now, e.pending, e.nextEventTime()]).toEqual([20, 1, 30]);
    expect(e.step()).toBe(true);
    expect(e.step()).toBe(false);
  });
});

describe('engine: caller-driven dispatch', () => {
  it('next() takes events in order, moves the clock and counts them; handle() runs the handler', () => {
    const e = new Engine();
    const seen: string[] = [];
    const k0 = e.register((a, b) => seen.push(`k0:${e.now}:${a}:${b}`));
    const k1 = e.register((a, b) => seen.push(`k1:${e.now}:${a}:${b}`));
    e.at(20, k1, 5, 6);
    e.at(10, k0, 1, 2);
    e.at(20, k0, 3, 4);
    const kinds: number[] = [];
    for (let k = e.next(); k >= 0; k = e.next()) {
      kinds.push(k);
      if (k === k0) seen.push(`direct:${e.now}:${e.lastA}:${e.lastB}`);
      else e.handle(k);
    }
    expect(kinds).toEqual([k0, k1, k0]);
    expect(seen).toEqual(['direct:10:1:2', 'k1:20:5:6', 'direct:20:3:4']);
    expect(e.events).toBe(3);
    expect(e.now).toBe(20);
    expect(e.next()).toBe(-1);
  });
});

describe('engine: seeded RNG', () => {
  it('xoshiro128** matches the reference algorithm from state (1, 2, 3, 4)', () => {
    // Values computed with an independent transcription of the reference C code.
    const r = Rng.fromState(1, 2, 3, 4);
    expect(Array.from({ length: 6 }, () => r.nextU32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
    expect(() => Rng.fromState(0, 0, 0, 0)).toThrow(RangeError);
  });

  it('same seed and stream → same sequence; other seeds or streams → other sequences', () => {
    const draw = (seed: number, stream: number) => {
      const r = new Rng(seed, stream);
      return Array.from({ length: 64 }, () => r.nextU32());
    };
    expect(draw(42, 0)).toEqual(draw(42, 0));
    expect(draw(42, 0)).not.toEqual(draw(43, 0));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
  });

  it('draws stay in range (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 1000 }),
        (seed, n) => {
          const r = new Rng(seed);
          for (let i = 0; i < 20; i++) {
            const x = r.next();
            expect(x >= 0 && x < 1).toBe(true);
            const k = r.int(n);
            expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
            expect(r.exp(5)).toBeGreaterThanOrEqual(0);
            const j = r.jitter(100, 0.1);
            expect(j >= 90 && j <= 110).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('exponential draws have about the requested mean', () => {
    const r = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += r.exp(100);
    expect(sum / 20000).toBeGreaterThan(95);
    expect(sum / 20000).toBeLessThan(105);
  });
});

describe('stats: latency histogram', () => {
  it('is exact below 1 µs and within 0.4 % above; max and mean are exact', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v * 10);
    expect(h.count).toBe(100);
    expect(h.quantile(0.5)).toBe(500);
    expect(h.max).toBe(1000);
    expect(h.mean).toBe(505);
    const big = new Histogram();
    for (const v of [12_345, 99_999, 1_234_567, 5e9]) big.record(v);
    for (const [q, v] of [
      [0.25, 12_345],
      [0.5, 99_999],
      [0.75, 1_234_567],
    ] as const) {
      const got = big.quantile(q);
      expect(got).toBeLessThanOrEqual(v);
      expect(got).toBeGreaterThanOrEqual(v * 0.996);
    }
    expect(big.quantile(1)).toBe(5e9);
    expect(big.min).toBe(12_345);
    big.reset();
    expect(big.count).toBe(0);
    expect(big.quantile(0.5)).toBe(0);
  });
});
