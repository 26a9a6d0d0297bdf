/**
 * fast-check properties of issue 2 (numRuns 1000 each): level lines are the OR of their
 * sources (CORE-3.1, 3.4), routing tables are applied whole or not at all (CORE-1.2 … 1.8,
 * 5.14), and irqfd edge injections are delivered exactly once under any scheduler order
 * (CORE-0.4, 5.7 … 5.9, 5.12 … 5.14).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventFd, IrqError, type Irqfd, type RoutingEntryBase, type Task } from '../src/index.js';
import { EDGE, LEVEL, msiRoute, pinRoute, setup } from './core-fixtures.js';

const RUNS = { numRuns: 1000 };

// ---- (1) a level line is the OR of its sources ------------------------------------------------

/** GSI → the (chip, pin) pairs it drives. GSI 6 fans out to both controllers. */
const PINS_OF: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = [
  [[EDGE, 0]],
  [[EDGE, 1]],
  [[EDGE, 2]],
  [[LEVEL, 0]],
  [[LEVEL, 1]],
  [[LEVEL, 2]],
  [
    [EDGE, 6],
    [LEVEL, 6],
  ],
];
const ALL_PINS: ReadonlyArray<readonly [number, number]> = PINS_OF.flat();
const SOURCES = [0, 1, 2, 3, 31, 32, 63] as const;
const FREEABLE = [2, 3, 31, 32, 63] as const;

type LineOp =
  | { op: 'set'; source: number; gsi: number; level: boolean }
  | { op: 'free'; id: number };

const lineOp: fc.Arbitrary<LineOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      source: fc.constantFrom(...SOURCES),
      gsi: fc.integer({ min: 0, max: PINS_OF.length - 1 }),
      level: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('free' as const), id: fc.constantFrom(...FREEABLE) }),
  },
);

// ---- (2) routing tables: whole or nothing -----------------------------------------------------

const ARCH_REJECTED_FROM = 20; // the fake arch refuses level-chip pins ≥ 20
const REFUSED_DATA = 0xbad;

const validPin = fc
  .record({
    gsi: fc.integer({ min: 0, max: 9 }),
    chip: fc.constantFrom(EDGE, LEVEL),
    pin: fc.integer({ min: 0, max: 19 }),
  })
  .map(({ gsi, chip, pin }) => pinRoute(gsi, chip, pin) as RoutingEntryBase);
const validMsi = fc
  .record({
    gsi: fc.integer({ min: 0, max: 9 }),
    data: fc.integer({ min: 0, max: 0xff }),
    devid: fc.boolean(),
  })
  .map(({ gsi, data, devid }) =>
    devid
      ? ({ ...msiRoute(gsi, data), flags: 1, devid: 3 } as RoutingEntryBase)
      : msiRoute(gsi, data),
  );
const invalidEntry: fc.Arbitrary<RoutingEntryBase> = fc.oneof(
  fc.constantFrom(4096, 5000, -1, 1.5).map((gsi) => msiRoute(gsi, 1)), // bad gsi
  fc.constantFrom(1, 2, 2 ** 32).map((flags) => ({ ...pinRoute(1, EDGE, 1), flags })), // bad flags
  fc.constantFrom(2, 3, 2 ** 32 + 1).map((flags) => ({ ...msiRoute(2, 1), flags })),
  fc.constant({ gsi: 3, kind: 'xen_evtchn' }), // unknown kind
  fc.constantFrom(5, 24, 99).map((pin) => pinRoute(4, pin === 5 ? 9 : EDGE, pin)), // no chip / pin range
  fc.integer({ min: ARCH_REJECTED_FROM, max: 23 }).map((pin) => pinRoute(5, LEVEL, pin)), // arch
  fc.constant(msiRoute(6, REFUSED_DATA)), // arch refuses the message
);
const table = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: validPin },
    { weight: 3, arbitrary: validMsi },
    { weight: 1, arbitrary: invalidEntry },
  ),
  { maxLength: 8 },
);

const chipPin = (e: RoutingEntryBase) => e as unknown as { chip: number; pin: number };

/** The spec's verdict on a table, computed independently of the model (CORE-1.2 … 1.6). */
function expectedTable(entries: readonly RoutingEntryBase[]): RoutingEntryBase[] | null {
  const byGsi = new Map<number, RoutingEntryBase[]>();
  if (entries.some((e) => !Number.isInteger(e.gsi) || e.gsi < 0 || e.gsi >= 4096)) return null;
  for (const e of entries) {
    const flags = e.flags ?? 0;
    if (e.kind === 'msi' ? flags !== 0 && flags !== 1 : flags !== 0) return null;
    const same = byGsi.get(e.gsi) ?? [];
    for (const prev of same) {
      if (e.kind !== 'irqchip' || prev.kind !== 'irqchip') return null;
      if (chipPin(prev).chip === chipPin(e).chip) return null;
    }
    if (e.kind === 'irqchip') {
      const { chip, pin } = chipPin(e);
      if ((chip !== EDGE && chip !== LEVEL) || pin >= 24) return null;
      if (chip === LEVEL && pin >= ARCH_REJECTED_FROM) return null;
    } else if (e.kind === 'msi') {
      if ((e as unknown as { data: number }).data === REFUSED_DATA) return null;
    } else {
      return null;
    }
    same.push(e);
    byGsi.set(e.gsi, same);
  }
  return [...entries];
}

// ---- (3) irqfd edge injections exactly once ---------------------------------------------------

const SLOTS = 3;
const VARIANTS = ['pinA', 'pinB', 'msiFast', 'msiBlock', 'fanout'] as const;
type Variant = (typeof VARIANTS)[number];
const gsiOf = (slot: number) => 20 + slot;

function routesFor(variants: readonly Variant[]): RoutingEntryBase[] {
  const route = (v: Variant, slot: number): RoutingEntryBase[] => {
    const gsi = gsiOf(slot);
    if (v === 'pinA') return [pinRoute(gsi, EDGE, slot)];
    if (v === 'pinB') return [pinRoute(gsi, EDGE, 8 + slot)];
    if (v === 'msiFast') return [msiRoute(gsi, 0x40 + slot)];
    if (v === 'msiBlock') return [msiRoute(gsi, 0x40 + slot, true)];
    return [pinRoute(gsi, EDGE, slot), pinRoute(gsi, LEVEL, slot)]; // fanout
  };
  return variants.flatMap(route);
}

type FdOp =
  | { op: 'signal'; slot: number; n: number }
  | { op: 'runOne' }
  | { op: 'runTask'; k: number }
  | { op: 'route'; variants: Variant[] }
  | { op: 'deassign'; slot: number }
  | { op: 'assign'; slot: number };

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const fdOp: fc.Arbitrary<FdOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('signal' as const),
      slot,
      n: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('runOne' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('runTask' as const), k: fc.nat(8) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('route' as const),
      variants: fc.array(fc.constantFrom(...VARIANTS), { minLength: SLOTS, maxLength: SLOTS }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deassign' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('assign' as const), slot }) },
);

describe('CORE properties (fast-check)', () => {
  it('CORE-3.1/3.4 property: a line equals the OR of its sources after any assert / de-assert / free, with and without redrive', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(lineOp, { maxLength: 40 }), (redrive, ops) => {
        const f = setup();
        f.vm.setGsiRouting(
          PINS_OF.flatMap((pins, gsi) => pins.map(([chip, pin]) => pinRoute(gsi, chip, pin))),
        );
        const key = (chip: number, pin: number) => `${chip}/${pin}`;
        const model = new Map<string, Set<number>>(
          ALL_PINS.map(([c, p]) => [key(c, p), new Set()]),
        );
        const driven = new Map<string, boolean>(); // the level each chip last saw, per pin
        const chipOf = (chip: number) => (chip === EDGE ? f.edge : f.level);
        for (const o of ops) {
          if (o.op === 'set') {
            f.vm.setIrq(o.source, o.gsi, o.level);
            for (const [c, p] of PINS_OF[o.gsi]!) {
              const s = model.get(key(c, p))!;
              if (o.level) s.add(o.source);
              else s.delete(o.source);
              driven.set(key(c, p), s.size > 0);
            }
          } else {
            const calls = f.edge.calls.length + f.level.calls.length;
            f.vm.freeSourceId(o.id, { redrive });
            for (const [c, p] of ALL_PINS) {
              const s = model.get(key(c, p))!;
              if (s.delete(o.id) && redrive) driven.set(key(c, p), s.size > 0);
            }
            // CORE-3.4: without redrive no controller is called
            if (!redrive) expect(f.edge.calls.length + f.level.calls.length).toBe(calls);
          }
          for (const [c, p] of ALL_PINS) {
            const s = model.get(key(c, p))!;
            expect(f.vm.lineSources(c, p)).toEqual([...s].sort((a, b) => a - b));
            expect(chipOf(c).lastLevel(p)).toBe(driven.get(key(c, p)));
            if (redrive && driven.has(key(c, p))) expect(chipOf(c).lastLevel(p)).toBe(s.size > 0);
          }
        }
      }),
      RUNS,
    );
  });

  it('CORE-1.8 property: random routing tables are applied whole or rejected with EINVAL leaving table, reverse map and irqfd caches unchanged', () => {
    fc.assert(
      fc.property(fc.array(table, { minLength: 1, maxLength: 4 }), (tables) => {
        const f = setup({
          arch: {
            validateIrqchipEntry: (e) => {
              if ((e.chip !== EDGE && e.chip !== LEVEL) || e.pin >= 24)
                throw new IrqError('EINVAL', 'no such pin');
              if (e.chip === LEVEL && e.pin >= ARCH_REJECTED_FROM)
                throw new IrqError('EINVAL', 'arch refuses the pin');
            },
          },
        });
        f.msi.invalidData.add(REFUSED_DATA);
        const irqfds: Irqfd[] = [];
        for (let g = 0; g < 10; g++)
          irqfds.push(f.vm.irqfds.assign({ eventfd: new EventFd(), gsi: g }));
        let current: RoutingEntryBase[] = [];
        const view = () => ({
          entries: Array.from({ length: 10 }, (_, g) => f.vm.entriesFor(g)),
          reverse: [EDGE, LEVEL].map((c) =>
            Array.from({ length: 24 }, (_, p) => f.vm.gsiFor(c, p)),
          ),
        });
        for (const t of tables) {
          const want = expectedTable(t);
          const before = view();
          const routes = irqfds.map((i) => i.route);
          let err: unknown = null;
          try {
            f.vm.setGsiRouting(t);
          } catch (e) {
            err = e;
          }
          if (want === null) {
            expect(err).toBeInstanceOf(IrqError);
            expect((err as IrqError).code).toBe('EINVAL');
            expect(view()).toEqual(before);
            irqfds.forEach((i, n) => {
              expect(i.route).toBe(routes[n]);
            });
            continue;
          }
          expect(err).toBeNull();
          current = want;
          for (let g = 0; g < 10; g++) {
            const mine = current.filter((e) => e.gsi === g);
            expect(f.vm.entriesFor(g)).toEqual(mine);
            expect(irqfds[g]!.route?.entry ?? null).toEqual(mine.length === 1 ? mine[0] : null);
          }
          for (const c of [EDGE, LEVEL]) {
            for (let p = 0; p < 24; p++) {
              const last = current.filter(
                (e) => e.kind === 'irqchip' && chipPin(e).chip === c && chipPin(e).pin === p,
              );
              expect(f.vm.gsiFor(c, p)).toBe(last.length === 0 ? -1 : last[last.length - 1]!.gsi);
            }
          }
        }
      }),
      RUNS,
    );
  });

  it('CORE-0.4/5.9 property: irqfd edge injections are delivered exactly once under any scheduler order, routing change and deassign/assign', () => {
    fc.assert(
      fc.property(fc.array(fdOp, { maxLength: 40 }), (ops) => {
        const f = setup();
        let variants: Variant[] = ['pinA', 'pinA', 'pinA'];
        f.vm.setGsiRouting(routesFor(variants));
        const fds = Array.from({ length: SLOTS }, () => new EventFd());
        const irqfds: Array<Irqfd | null> = fds.map((e, i) =>
          f.vm.irqfds.assign({ eventfd: e, gsi: gsiOf(i) }),
        );
        // the oracle: spec-level state per slot
        const o = {
          active: [true, true, true],
          count: [0, 0, 0],
          queue: [] as number[],
          inj: [0, 0, 0],
          signals: [0, 0, 0],
          unserved: [false, false, false],
        };
        const observed = (s: number) =>
          f.edge.edges[s]! +
          f.edge.edges[8 + s]! +
          f.msi.all.filter((m) => m.data === 0x40 + s).length;
        const slotOf = (t: Task) => irqfds.findIndex((i) => i?.injectTask === t);
        const injectOracle = (s: number) => {
          o.inj[s]!++;
          o.unserved[s] = false;
        };
        for (const op of ops) {
          switch (op.op) {
            case 'signal': {
              fds[op.slot]!.signal(op.n);
              o.signals[op.slot]! += op.n;
              if (!o.active[op.slot]) {
                o.count[op.slot]! += op.n;
                break;
              }
              o.count[op.slot] = 0; // CORE-5.7: the wake-up drains the counter
              o.unserved[op.slot] = true;
              if (variants[op.slot] === 'msiFast') injectOracle(op.slot);
              else if (!o.queue.includes(op.slot)) o.queue.push(op.slot);
              break;
            }
            case 'runOne':
              if (f.sched.runOne()) injectOracle(o.queue.shift()!);
              break;
            case 'runTask': {
              const pending = f.sched.pending();
              if (pending.length === 0) break;
              const task = pending[op.k % pending.length]!;
              f.sched.runTask(task);
              const s = o.queue.splice(op.k % o.queue.length, 1)[0]!;
              expect(slotOf(task)).toBe(s);
              injectOracle(s);
              break;
            }
            case 'route':
              variants = op.variants;
              f.vm.setGsiRouting(routesFor(variants));
              break;
            case 'deassign':
              f.vm.irqfds.deassign({ eventfd: fds[op.slot]!, gsi: gsiOf(op.slot) });
              if (!o.active[op.slot]) break;
              o.active[op.slot] = false;
              o.count[op.slot] = 0;
              if (o.queue.includes(op.slot)) {
                o.queue.splice(o.queue.indexOf(op.slot), 1);
                injectOracle(op.slot);
              }
              break;
            case 'assign':
              if (o.active[op.slot]) {
                expect(() =>
                  f.vm.irqfds.assign({ eventfd: fds[op.slot]!, gsi: gsiOf(op.slot) }),
                ).toThrow(IrqError);
                break;
              }
              irqfds[op.slot] = f.vm.irqfds.assign({ eventfd: fds[op.slot]!, gsi: gsiOf(op.slot) });
              o.active[op.slot] = true;
              if (o.count[op.slot]! > 0 && !o.queue.includes(op.slot)) o.queue.push(op.slot);
              break;
          }
          for (let s = 0; s < SLOTS; s++) {
            expect(observed(s), `slot ${s} after ${op.op}`).toBe(o.inj[s]);
            expect(fds[s]!.count).toBe(o.count[s]);
          }
          expect(f.sched.pending().map(slotOf)).toEqual(o.queue);
        }
        // drain: every signal made while its irqfd was active got an injection, none was multiplied
        f.sched.run();
        for (const s of o.queue.splice(0)) injectOracle(s);
        for (let s = 0; s < SLOTS; s++) {
          expect(observed(s)).toBe(o.inj[s]);
          expect(o.unserved[s]).toBe(false);
          expect(observed(s)).toBeLessThanOrEqual(o.signals[s]!);
        }
      }),
      RUNS,
    );
  });
});
