import { describe, expect, it } from 'vitest';
import {
  type Delivery,
  EventFd,
  IrqError,
  MAX_ROUTES,
  ROUTE_FLAG_VALID_DEVID,
  type RouteTarget,
  type RoutingEntryBase,
  USERSPACE_SOURCE_ID,
} from '../src/index.js';
import {
  EDGE,
  expectIrqError,
  FakeEdgeChip,
  LEVEL,
  msiRoute,
  pinRoute,
  routingView,
  setup,
} from './core-fixtures.js';

interface TestEntry extends RoutingEntryBase {
  readonly kind: 'test';
  readonly tag: number;
}

/** A plugin kind that records what its target receives. */
function testKind(calls: string[], result: Delivery = 1) {
  return {
    kind: 'test',
    validate(e: TestEntry) {
      if (!Number.isInteger(e.tag) || e.tag < 0)
        throw new IrqError('EINVAL', `bad tag ${String(e.tag)}`);
    },
    compile(e: TestEntry): RouteTarget {
      return {
        entry: e,
        set(source, level, lineStatus) {
          calls.push(`set(tag ${e.tag}, src ${source}, ${level ? 1 : 0}, ${lineStatus})`);
          return result;
        },
        setInatomic(source, level) {
          calls.push(`atomic(tag ${e.tag}, src ${source}, ${level ? 1 : 0})`);
          return result;
        },
      };
    },
  };
}

const msiWithDevid = (gsi: number, flags: number): RoutingEntryBase =>
  ({ ...msiRoute(gsi, 1), flags, devid: 7 }) as RoutingEntryBase;

describe('CORE §1.1 entries', () => {
  it('CORE-1.1: plugins register further kinds with a validator and a deliverer set(entry, source, level, lineStatus)', () => {
    const f = setup();
    const calls: string[] = [];
    f.vm.addRouteKind(testKind(calls, 2));
    f.vm.setGsiRouting([{ gsi: 9, kind: 'test', tag: 3 } as TestEntry]);
    expect(f.vm.setIrq(5, 9, true, true)).toBe(2);
    expect(calls).toEqual(['set(tag 3, src 5, 1, true)']);
    expectIrqError(
      () => f.vm.setGsiRouting([{ gsi: 9, kind: 'test', tag: -1 } as TestEntry]),
      'EINVAL',
    );
    // a kind name can be registered once
    expectIrqError(() => f.vm.addRouteKind(testKind(calls)), 'EEXIST');
  });

  it('CORE-1.1: VALID_DEVID (bit 0) is the only flag, legal only on msi entries', () => {
    const f = setup();
    expect(ROUTE_FLAG_VALID_DEVID).toBe(1);
    f.vm.setGsiRouting([msiWithDevid(30, ROUTE_FLAG_VALID_DEVID)]);
    expect(f.vm.entriesFor(30)).toEqual([msiWithDevid(30, 1)]);
    expectIrqError(
      () => f.vm.setGsiRouting([{ ...pinRoute(5, EDGE, 5), flags: ROUTE_FLAG_VALID_DEVID }]),
      'EINVAL',
    );
  });

  it('CORE-1.2: at most 4096 entries, every gsi < 4096, table flags must be 0', () => {
    const f = setup();
    expect(MAX_ROUTES).toBe(4096);
    const full = Array.from({ length: 4096 }, (_, g) => msiRoute(g, g & 0xff));
    f.vm.setGsiRouting(full);
    expect(f.vm.entriesFor(4095)).toEqual([msiRoute(4095, 0xff)]);
    expectIrqError(() => f.vm.setGsiRouting([...full, msiRoute(0, 1)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([msiRoute(4096, 1)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([msiRoute(-1, 1)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([msiRoute(1.5, 1)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([], 1), 'EINVAL');
    // the 4096-entry table is still in force
    expect(f.vm.entriesFor(4095)).toEqual([msiRoute(4095, 0xff)]);
  });

  it('CORE-1.3 (generic mechanism: the arch checkSetRouting hook; x86 refuses without an irqchip in its own package)', () => {
    let allowed = false;
    const f = setup({
      arch: {
        checkSetRouting: () => {
          if (!allowed) throw new IrqError('EINVAL', 'no in-kernel irqchip');
        },
      },
    });
    expectIrqError(() => f.vm.setGsiRouting([pinRoute(5, EDGE, 5)]), 'EINVAL');
    expect(f.vm.entriesFor(5)).toEqual([]);
    expect(f.log).not.toContain('arch.afterRoutingUpdate');
    allowed = true;
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5)]);
    expect(f.vm.entriesFor(5)).toEqual([pinRoute(5, EDGE, 5)]);
  });
});

describe('CORE §1.2 validation of a new table', () => {
  it('CORE-1.4: msi flags other than VALID_DEVID and any flags on other kinds are EINVAL', () => {
    const f = setup();
    const calls: string[] = [];
    f.vm.addRouteKind(testKind(calls));
    f.vm.setGsiRouting([msiWithDevid(30, 1), msiWithDevid(31, 0)]);
    expectIrqError(() => f.vm.setGsiRouting([msiWithDevid(30, 2)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([msiWithDevid(30, 3)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([{ ...pinRoute(5, EDGE, 5), flags: 4 }]), 'EINVAL');
    expectIrqError(
      () => f.vm.setGsiRouting([{ gsi: 9, kind: 'test', tag: 1, flags: 1 } as TestEntry]),
      'EINVAL',
    );
    expect(f.vm.entriesFor(30)).toEqual([msiWithDevid(30, 1)]);
  });

  it('CORE-1.4: flags that are not a u32 are refused rather than truncated to 32 bits', () => {
    const f = setup();
    expectIrqError(() => f.vm.setGsiRouting([msiWithDevid(30, 2 ** 32)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([msiWithDevid(30, 2 ** 32 + 1)]), 'EINVAL');
    expectIrqError(
      () => f.vm.setGsiRouting([{ ...pinRoute(5, EDGE, 5), flags: 2 ** 32 }]),
      'EINVAL',
    );
    expectIrqError(() => f.vm.setGsiRouting([msiWithDevid(30, -1)]), 'EINVAL');
    expect(f.vm.entriesFor(30)).toEqual([]);
  });

  it('CORE-1.5: a GSI holds one non-irqchip entry or one irqchip entry per distinct controller', () => {
    const f = setup();
    const calls: string[] = [];
    f.vm.addRouteKind(testKind(calls));
    const t = (gsi: number) => ({ gsi, kind: 'test', tag: 0 }) as TestEntry;
    const rejected: RoutingEntryBase[][] = [
      [msiRoute(30, 1), msiRoute(30, 2)], // two MSIs
      [msiRoute(30, 1), pinRoute(30, EDGE, 3)], // MSI plus pin
      [pinRoute(30, EDGE, 3), msiRoute(30, 1)], // pin plus MSI
      [pinRoute(30, EDGE, 3), pinRoute(30, EDGE, 4)], // same controller twice
      [pinRoute(30, EDGE, 3), pinRoute(30, EDGE, 3)], // the very same pin twice
      [pinRoute(30, EDGE, 3), t(30)], // plugin kind plus pin
      [t(30), t(30)],
    ];
    for (const table of rejected) {
      expectIrqError(() => f.vm.setGsiRouting(table), 'EINVAL');
    }
    // fan-out across controllers, and the same message on two GSIs, are fine
    f.vm.setGsiRouting([
      pinRoute(30, EDGE, 3),
      pinRoute(30, LEVEL, 3),
      msiRoute(31, 1),
      msiRoute(32, 1),
      t(33),
    ]);
    expect(f.vm.entriesFor(30)).toHaveLength(2);
    // entries of the *previous* table do not count: GSI 30 can become a single MSI
    f.vm.setGsiRouting([msiRoute(30, 9)]);
    expect(f.vm.entriesFor(30)).toEqual([msiRoute(30, 9)]);
  });

  it('CORE-1.6 (generic mechanism: the arch validation hook, called in entry order; its error aborts the table)', () => {
    const seen: string[] = [];
    const f = setup({
      arch: {
        validateIrqchipEntry: (e) => {
          seen.push(`${e.gsi}:${e.chip}/${e.pin}`);
          if (e.pin >= 20) throw new IrqError('EINVAL', `pin ${e.pin} >= 20`);
        },
      },
    });
    f.vm.setGsiRouting([pinRoute(1, EDGE, 1)]);
    seen.length = 0;
    expectIrqError(
      () =>
        f.vm.setGsiRouting([
          pinRoute(7, LEVEL, 2),
          pinRoute(3, EDGE, 3),
          pinRoute(4, EDGE, 21),
          pinRoute(5, EDGE, 5),
        ]),
      'EINVAL',
    );
    expect(seen).toEqual(['7:1/2', '3:0/3', '4:0/21']);
    expect(f.vm.entriesFor(1)).toEqual([pinRoute(1, EDGE, 1)]);
    expect(f.vm.entriesFor(7)).toEqual([]);
  });

  it('CORE-1.6: without an arch hook the core checks the controller exists and the pin is in range; unknown kinds are EINVAL', () => {
    const f = setup();
    expectIrqError(() => f.vm.setGsiRouting([pinRoute(1, 7, 1)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([pinRoute(1, EDGE, 24)]), 'EINVAL');
    expectIrqError(() => f.vm.setGsiRouting([{ gsi: 1, kind: 'hv_sint' }]), 'EINVAL');
    // MSI payloads go through the sink's validateMsi
    f.msi.invalidData.add(0x99);
    expectIrqError(() => f.vm.setGsiRouting([msiRoute(40, 0x99)]), 'EINVAL');
    // no MSI sink: msi entries are refused
    const g = setup({ msi: false });
    expectIrqError(() => g.vm.setGsiRouting([msiRoute(40, 1)]), 'EINVAL');
  });

  it('CORE-1.7: the reverse map records gsi per (chip, pin); the entry processed last wins; unnamed pins are -1', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(7, EDGE, 7), pinRoute(50, EDGE, 7), pinRoute(8, LEVEL, 2)]);
    expect(f.vm.gsiFor(EDGE, 7)).toBe(50);
    expect(f.vm.gsiFor(LEVEL, 2)).toBe(8);
    expect(f.vm.gsiFor(EDGE, 2)).toBe(-1);
    expect(f.vm.gsiFor(LEVEL, 7)).toBe(-1);
    f.vm.setGsiRouting([pinRoute(50, EDGE, 7), pinRoute(7, EDGE, 7)]);
    expect(f.vm.gsiFor(EDGE, 7)).toBe(7);
    // both GSIs still drive the pin
    f.vm.setIrq(0, 50, true);
    f.vm.setIrq(0, 50, false);
    f.vm.setIrq(0, 7, true);
    expect(f.edge.edges[7]).toBe(2);
  });

  it('CORE-1.7: the reverse map works the same for small and large chip numbers', () => {
    const f = setup();
    const big = new FakeEdgeChip(1000, 4);
    const eight = new FakeEdgeChip(8, 4);
    f.vm.addChip(big);
    f.vm.addChip(eight);
    f.vm.setGsiRouting([pinRoute(3, 1000, 2), pinRoute(4, 8, 2), pinRoute(5, EDGE, 2)]);
    expect([f.vm.gsiFor(1000, 2), f.vm.gsiFor(8, 2), f.vm.gsiFor(EDGE, 2)]).toEqual([3, 4, 5]);
    expect([f.vm.gsiFor(1000, 1), f.vm.gsiFor(8, 3), f.vm.gsiFor(LEVEL, 2)]).toEqual([-1, -1, -1]);
    expect([f.vm.gsiFor(-1, 2), f.vm.gsiFor(7, 2), f.vm.gsiFor(EDGE, 24)]).toEqual([-1, -1, -1]);
    f.vm.setGsiRouting([pinRoute(5, EDGE, 2)]);
    expect([f.vm.gsiFor(1000, 2), f.vm.gsiFor(8, 2), f.vm.gsiFor(EDGE, 2)]).toEqual([-1, -1, 5]);
  });

  it('CORE-1.8: the first failing entry aborts; the previous entries, reverse map and irqfd caches stay in force', () => {
    const f = setup({ bypass: true });
    const t1 = [msiRoute(40, 0x41), pinRoute(7, EDGE, 7), pinRoute(50, LEVEL, 3)];
    f.vm.setGsiRouting(t1);
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    const view = routingView(f.vm, [7, 40, 41, 50]);
    const route = irqfd.route;
    f.log.length = 0;
    // entry 2 is fine for the generic checks but names an invalid pin
    expectIrqError(
      () =>
        f.vm.setGsiRouting([
          msiRoute(40, 0x42),
          pinRoute(7, LEVEL, 7),
          pinRoute(41, EDGE, 99),
          msiRoute(42, 1),
        ]),
      'EINVAL',
    );
    expect(routingView(f.vm, [7, 40, 41, 50])).toEqual(view);
    expect(irqfd.route).toBe(route);
    expect(f.log).toEqual([]); // no afterRoutingUpdate, no updateRouting
    e.signal();
    expect(f.msi.atomic.map((m) => m.data)).toEqual([0x41]);
    expect(f.vm.setIrq(0, 7, true)).toBe(1);
    expect(f.edge.edges[7]).toBe(1);
  });

  it("CORE-1.8: the error is the failing entry's own error", () => {
    const f = setup();
    f.vm.addRouteKind({
      kind: 'picky',
      validate: () => {
        throw new IrqError('ENXIO', 'picky refuses');
      },
      compile: () => {
        throw new Error('not reached');
      },
    });
    const err = expectIrqError(
      () => f.vm.setGsiRouting([msiRoute(1, 1), { gsi: 2, kind: 'picky' }]),
      'ENXIO',
    );
    expect(err.message).toMatch(/entry 1/);
  });

  it('CORE-1.9: an empty table is valid: no GSI has entries, every reverse slot is -1', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5), msiRoute(40, 1)]);
    f.vm.setGsiRouting([]);
    for (const g of [0, 5, 40, 4095]) {
      expect(f.vm.entriesFor(g)).toEqual([]);
      expect(f.vm.setIrq(0, g, true)).toBe(-1);
    }
    for (let pin = 0; pin < 24; pin++) {
      expect(f.vm.gsiFor(EDGE, pin)).toBe(-1);
      expect(f.vm.gsiFor(LEVEL, pin)).toBe(-1);
    }
    expect(f.edge.calls).toEqual([]);
    expect(f.msi.all).toEqual([]);
  });
});

describe('CORE §1.3 publication', () => {
  it('CORE-1.10: after setGsiRouting returns, deferred irqfd tasks that run later use the new table', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4)]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal(); // inject queued against the old table
    f.vm.setGsiRouting([pinRoute(4, EDGE, 9)]);
    f.sched.run();
    expect(f.edge.edges[4]).toBe(0);
    expect(f.edge.edges[9]).toBe(1);
  });

  it('CORE-1.10: an injection in flight resolves its GSI entirely against the table it started with', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5), pinRoute(5, LEVEL, 5)]);
    let replaced = false;
    f.edge.onSetLevel = () => {
      if (replaced) return;
      replaced = true;
      f.vm.setGsiRouting([pinRoute(5, EDGE, 7)]); // published while the fan-out runs
    };
    expect(f.vm.setIrq(0, 5, true)).toBe(2);
    // the second entry of the old table was still driven; the new pin was not
    expect(f.level.calls).toEqual([{ pin: 5, level: true, lineStatus: false }]);
    expect(f.edge.callsFor(7)).toEqual([]);
    // the next injection uses the new table only
    f.vm.setIrq(0, 5, false);
    expect(f.edge.lastLevel(7)).toBe(false);
    expect(f.level.calls).toHaveLength(1);
  });

  it('CORE-1.10: publication re-evaluates active irqfds, then calls the arch hook', () => {
    const f = setup();
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    let routeSeenByHook: unknown = 'not called';
    f.arch.afterRoutingUpdate = () => {
      routeSeenByHook = irqfd.route?.entry;
    };
    f.vm.setGsiRouting([msiRoute(40, 0x44)]);
    expect(routeSeenByHook).toEqual(msiRoute(40, 0x44));
  });

  it('CORE-1.11: replacing the table neither asserts nor de-asserts; an assertion stays on its old pin', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 10, true);
    const calls = f.level.calls.length;
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 12)]);
    expect(f.level.calls).toHaveLength(calls);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([USERSPACE_SOURCE_ID]);
    expect(f.vm.lineSources(LEVEL, 12)).toEqual([]);
    expect(f.level.irr[10]).toBe(true);
    // a de-assert through the new route does not reach the old pin
    f.vm.setIrq(USERSPACE_SOURCE_ID, 10, false);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([USERSPACE_SOURCE_ID]);
  });

  it('CORE-1.12: entriesFor returns a copy (empty past the table or when unrouted); gsiFor reads the reverse map', () => {
    const f = setup();
    const input = { ...pinRoute(5, EDGE, 5) };
    f.vm.setGsiRouting([input, msiRoute(6, 1)]);
    (input as { pin: number }).pin = 9; // the caller's object is not the table's
    const got = f.vm.entriesFor(5);
    got.push(msiRoute(5, 1));
    (got[0] as unknown as { pin: number }).pin = 7; // nor are the entries it hands out
    (f.vm.router.entries()[0] as unknown as { pin: number }).pin = 8;
    expect(f.vm.entriesFor(5)).toEqual([pinRoute(5, EDGE, 5)]);
    expect(f.vm.gsiFor(EDGE, 7)).toBe(-1);
    expect(f.vm.entriesFor(7)).toEqual([]);
    expect(f.vm.entriesFor(100_000)).toEqual([]);
    expect(f.vm.gsiFor(EDGE, 5)).toBe(5);
    expect(f.vm.gsiFor(EDGE, 9)).toBe(-1);
    expect(f.vm.gsiFor(EDGE, 1000)).toBe(-1);
    expect(f.vm.gsiFor(9, 0)).toBe(-1);
  });
});

describe('CORE §1.4 initial tables', () => {
  it('CORE-1.13 (generic part: a new VM has an empty table; default x86/ARM routing is installed by those plugins)', () => {
    const f = setup();
    expect(f.vm.save().routing).toEqual([]);
    for (const g of [0, 1, 15, 23]) expect(f.vm.entriesFor(g)).toEqual([]);
    expect(f.vm.gsiFor(EDGE, 0)).toBe(-1);
    expect(f.vm.setIrq(0, 0, true)).toBe(-1);
  });
});
