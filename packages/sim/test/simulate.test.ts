import { describe, expect, it } from 'vitest';
import {
  ChromeTrace,
  compare,
  defaultScenario,
  parseScenario,
  REFERENCE_PLATFORM,
  runPath,
  selectPresets,
  validateChromeTrace,
} from '../src/index.js';
import { intxPreset, refPreset, refPresets, smallScenario, withIpi } from './helpers.js';

const ns = (name: string) => {
  const c = REFERENCE_PLATFORM.constants[name]!;
  return c.unit === 'ns' ? c.value : c.value / REFERENCE_PLATFORM.cpuGHz;
};

describe('determinism', () => {
  it('same seed → byte-identical results and trace', () => {
    const run = () => {
      const trace = new ChromeTrace();
      const c = compare(smallScenario(), refPresets(), { trace });
      return JSON.stringify(c) + JSON.stringify(trace.toJSON());
    };
    expect(run()).toBe(run());
  });

  it('recording a trace does not change the results', () => {
    const plain = compare(smallScenario(), refPresets());
    const traced = compare(smallScenario(), refPresets(), { trace: new ChromeTrace() });
    expect(JSON.stringify(traced)).toBe(JSON.stringify(plain));
  });

  it('another seed → other arrivals', () => {
    const a = compare(smallScenario(), [refPreset('msi-posted')]);
    const b = compare(smallScenario({ seed: 12 }), [refPreset('msi-posted')]);
    expect(JSON.stringify(a.paths)).not.toBe(JSON.stringify(b.paths));
  });
});

describe('the numbers follow what the plugin counted', () => {
  const c = compare(smallScenario(), refPresets());
  const path = (id: string) => c.paths.find((p) => p.id === `reference/${id}`)!;

  it('every reference path runs and every taken interrupt maps to a source', () => {
    for (const p of c.paths) {
      expect(p.status, `${p.id}: ${p.reason}`).toBe('ok');
      expect(p.interrupts).toBeGreaterThan(100);
      expect(p.unknownInterrupts).toBe(0);
      expect(p.latencyNs.count).toBeGreaterThan(0);
    }
  });

  it('posted MSI: no host IRQs, no kicks, a posted notification per raise', () => {
    const p = path('msi-posted');
    expect(p.counters['host.hostIrqs'] ?? 0).toBe(0);
    expect(p.exitsByReason.kick ?? 0).toBe(0);
    expect(p.priced.posted!.count).toBe(p.raises);
  });

  it('MSI through the irqfd: one host IRQ per raise, injected on the fast path', () => {
    const p = path('msi-irqfd');
    expect(p.counters['host.hostIrqs']).toBe(p.raises);
    expect(p.counters.fastPathInjections).toBe(p.raises);
    expect(p.counters.schedTasks ?? 0).toBe(0);
  });

  it('level + resample: one resamplefd signal and one VFIO unmask per interrupt', () => {
    const p = path('level-resample');
    expect(p.priced.resamplefdSignals!.count).toBe(p.interrupts);
    expect(p.counters['host.vfioUnmasks']).toBe(p.interrupts);
    expect(p.counters.ackNotifications).toBe(p.interrupts);
  });

  it('PCI INTx through VFIO (DisINTx masking) behaves like the platform level path', () => {
    const p = runPath(intxPreset(), smallScenario());
    expect(p.status, p.reason).toBe('ok');
    expect(p.counters['host.vfioMasks']).toBe(p.counters['host.vfioUnmasks']);
    expect(p.priced.resamplefdSignals!.count).toBe(p.interrupts);
    expect(p.unknownInterrupts).toBe(0);
  });

  it('forwarded level (seed 004): no ack notification, no resample, no VFIO mask', () => {
    const p = path('level-forwarded');
    expect(p.counters.ackNotifications ?? 0).toBe(0);
    expect(p.counters.resamplefdSignals ?? 0).toBe(0);
    expect(p.counters['host.vfioMasks'] ?? 0).toBe(0);
    expect(p.latencyNs.p50).toBeLessThanOrEqual(path('level-resample').latencyNs.p50);
    expect(p.hostShare).toBeLessThan(path('level-resample').hostShare);
  });

  it('transactions per second: posted ≥ irqfd MSI, forwarded ≥ resampled', () => {
    const tps = (id: string) => path(id).workloads.rr!.transactionsPerSec!;
    expect(tps('msi-posted')).toBeGreaterThanOrEqual(tps('msi-irqfd'));
    expect(tps('level-forwarded')).toBeGreaterThanOrEqual(tps('level-resample'));
  });

  it('causality: no interrupt is taken before its host path has delivered it', () => {
    expect(path('msi-posted').latencyNs.min).toBeGreaterThanOrEqual(0);
    expect(path('msi-irqfd').latencyNs.min).toBeGreaterThanOrEqual(ns('HOST_IRQ_NS'));
    expect(path('edge-irqfd').latencyNs.min).toBeGreaterThanOrEqual(ns('HOST_WORK_ITEM_NS'));
    for (const id of ['level-resample', 'level-forwarded']) {
      expect(path(id).latencyNs.min).toBeGreaterThanOrEqual(
        ns('HOST_IRQ_NS') + ns('HOST_WORK_ITEM_NS'),
      );
    }
  });

  it('exit accounting: per-reason figures add up and the time breakdown is consistent', () => {
    for (const p of c.paths) {
      const sum = Object.entries(p.exitsByReason)
        .filter(([r]) => r !== 'halt')
        .reduce((a, [, v]) => a + v, 0);
      expect(p.exitsPerInterrupt).toBeCloseTo(sum, 3);
      const { guestNs, vcpuOverheadNs, hostNs } = p.time;
      expect(p.hostShare).toBeCloseTo(
        (vcpuOverheadNs + hostNs) / (vcpuOverheadNs + hostNs + guestNs),
        3,
      );
    }
  });
});

describe('guest model timing', () => {
  const tickOnly = (extra: Record<string, unknown> = {}) =>
    parseScenario({
      seed: 1,
      durationMs: 20,
      vcpus: 1,
      workloads: [{ kind: 'timer', periodUs: 1000, vcpus: [0], handlerUs: 2 }],
      ...extra,
    });

  it('an idle vCPU: latency = host path + wake-up, exactly, for every tick', () => {
    const posted = runPath(refPreset('msi-posted'), tickOnly());
    expect(posted.latencyNs.count).toBe(20);
    expect(posted.latencyNs.p50).toBe(ns('HOST_WAKEUP_NS'));
    expect(posted.latencyNs.max).toBe(ns('HOST_WAKEUP_NS'));
    const irqfd = runPath(refPreset('msi-irqfd'), tickOnly());
    expect(irqfd.latencyNs.max).toBe(ns('HOST_IRQ_NS') + ns('HOST_WAKEUP_NS'));
    const edge = runPath(refPreset('edge-irqfd'), tickOnly());
    expect(edge.latencyNs.max).toBe(ns('HOST_WORK_ITEM_NS') + ns('HOST_WAKEUP_NS'));
  });

  it('each tick costs one halt, one wake-up and one EOI exit; the handler time is guest time', () => {
    const r = runPath(refPreset('msi-posted'), tickOnly());
    expect(r.priced['exits.eoi']!.count).toBe(20);
    expect(r.priced['guest.wakeups']!.count).toBe(20);
    expect(r.priced['guest.halts']!.count).toBe(21); // the first halt at time 0, then one per tick
    expect(Object.keys(r.exitsByReason).sort()).toEqual(['eoi', 'halt']);
    expect(r.time.guestNs).toBe(20 * 2000);
  });

  it('halt polling: a wake inside the window skips the scheduler; the window is host CPU burnt', () => {
    const polled = runPath(refPreset('msi-irqfd'), tickOnly({ haltPollUs: 2000 }));
    expect(polled.latencyNs.max).toBe(ns('HOST_IRQ_NS'));
    expect(polled.counters['guest.pollWakeups']).toBe(20);
    expect(polled.counters['guest.wakeups'] ?? 0).toBe(0);
    expect(polled.time.idleNs).toBe(0);
    const short = runPath(refPreset('msi-irqfd'), tickOnly({ haltPollUs: 100 }));
    expect(short.latencyNs.max).toBe(ns('HOST_IRQ_NS') + ns('HOST_WAKEUP_NS'));
    expect(short.counters['guest.wakeups']).toBe(20);
    expect(short.time.pollNs).toBe(21 * 100_000);
    expect(short.hostShare).toBeGreaterThan(runPath(refPreset('msi-irqfd'), tickOnly()).hostShare);
  });

  it('a busy vCPU is kicked instead of woken: latency is the host path plus the kick exit', () => {
    const s = parseScenario({
      seed: 1,
      durationMs: 5,
      vcpus: 1,
      workloads: [
        // Server work keeps the vCPU in the guest; the tick interrupts it.
        { kind: 'request-response', vcpu: 0, rttUs: 1, appUs: 50, handlerUs: 0.5 },
        { kind: 'timer', periodUs: 500, vcpus: [0], handlerUs: 1 },
      ],
    });
    const r = runPath(refPreset('msi-irqfd'), s);
    expect(r.exitsByReason.kick).toBeGreaterThan(0);
    expect(r.workloads.tick!.latencyP50Ns).toBe(Math.round(ns('HOST_IRQ_NS') + ns('X86_KICK_IPI')));
  });
  it('an interrupt that arrives while its vCPU is inside an exit costs no kick (out of guest mode)', () => {
    // Every EOI exit lasts 40 µs; a tick every 10 µs always lands inside one.
    const s = parseScenario({
      seed: 1,
      durationMs: 2,
      vcpus: 1,
      workloads: [{ kind: 'timer', periodUs: 10, vcpus: [0], handlerUs: 1 }],
      costs: { reference: { constants: { X86_EOI_EXIT: 100_000 } } },
    });
    const r = runPath(refPreset('msi-irqfd'), s);
    expect(r.interrupts).toBeGreaterThan(40);
    expect(r.counters['exits.eoi']).toBeGreaterThan(40);
    // Only a tick landing in a 1 µs handler (in the guest, interrupts off) kicks: about one
    // raise in 40; a vCPU counted in the guest during its exits would be kicked by most.
    expect(r.raises).toBeGreaterThan(190);
    expect(r.counters['exits.kick'] ?? 0).toBeLessThan(r.raises / 20);
    // The guest takes each tick when its exit ends: latency within one exit of the raise.
    expect(r.latencyNs.max).toBeLessThanOrEqual(100_000 / 2.5 + ns('HOST_IRQ_NS'));
  });
});

describe('cost constants', () => {
  it('changing one constant moves exactly the paths whose numbers use it', () => {
    const scenario = smallScenario();
    const base = compare(scenario, refPresets());
    for (const constant of ['X86_RESAMPLE_UNMASK', 'HOST_IRQ_NS', 'HOST_WORK_ITEM_NS']) {
      const changed = compare(
        { ...scenario, costs: { reference: { constants: { [constant]: 12_345 } } } },
        refPresets(),
      );
      let moved = 0;
      base.paths.forEach((b, i) => {
        const a = changed.paths[i]!;
        if (b.constantsUsed.includes(constant)) {
          moved++;
          expect(JSON.stringify(a), `${constant} should move ${b.id}`).not.toBe(JSON.stringify(b));
        } else {
          expect(a, `${constant} must not move ${b.id}`).toEqual(b);
        }
      });
      expect(moved, constant).toBeGreaterThan(0);
      expect(moved, constant).toBeLessThan(base.paths.length);
    }
  });

  it('a platform override of the clock changes cycle-priced costs only', () => {
    const s = smallScenario();
    const slow = compare({ ...s, costs: { reference: { cpuGHz: 1 } } }, [refPreset('msi-posted')]);
    const base = compare(s, [refPreset('msi-posted')]);
    expect(slow.paths[0]!.priced['exits.eoi']!.ns).toBeGreaterThan(
      base.paths[0]!.priced['exits.eoi']!.ns,
    );
    expect(slow.paths[0]!.cpuGHz).toBe(1);
  });

  it('unknown constants and platforms are errors naming them', () => {
    const s = smallScenario();
    expect(() =>
      compare({ ...s, costs: { reference: { constants: { NOPE: 1 } } } }, refPresets()),
    ).toThrow(/NOPE/);
    expect(() =>
      compare({ ...s, platforms: { reference: 'x86-skylake-sp' } }, refPresets()),
    ).toThrow(/prices 'x86'/);
  });
});

describe('paths and workloads', () => {
  it('selects presets by id, arch, glob and all, and names a selector that matches nothing', () => {
    const all = refPresets();
    expect(selectPresets(all, ['all'])).toHaveLength(all.length);
    expect(selectPresets(all, ['reference'])).toHaveLength(all.length);
    expect(selectPresets(all, ['reference/msi-*']).map((p) => p.id)).toEqual([
      'reference/msi-irqfd',
      'reference/msi-posted',
    ]);
    expect(selectPresets(all, ['*-forwarded', '*-resample']).map((p) => p.id)).toEqual([
      'reference/level-resample',
      'reference/level-forwarded',
    ]);
    expect(() => selectPresets(all, ['x86/posted'])).toThrow(/x86\/posted/);
  });

  it('a path that runs out of line GSIs is reported unsupported with the reason', () => {
    const s = parseScenario({
      durationMs: 1,
      workloads: [{ kind: 'storage', queues: 30, vcpus: [0] }],
    });
    const r = runPath(refPreset('level-resample'), s);
    expect(r.status).toBe('unsupported');
    expect(r.reason).toMatch(/line GSIs/);
    expect(runPath(refPreset('msi-posted'), s).status).toBe('ok');
  });

  it('IPI storms run on presets with an IPI hook and are not applicable elsewhere', () => {
    const s = parseScenario({
      durationMs: 5,
      vcpus: 3,
      workloads: [
        { kind: 'ipi-storm', senders: [0, 1, 2], gapUs: 20 },
        { kind: 'timer', vcpus: [0] },
      ],
    });
    const withHook = runPath(withIpi(refPreset('msi-posted')), s);
    expect(withHook.status).toBe('ok');
    expect(withHook.workloads.ipis!.ipisSent).toBeGreaterThan(100);
    expect(withHook.workloads.ipis!.ipisHandled).toBeGreaterThan(100);
    expect(withHook.unknownInterrupts).toBe(0);
    const without = runPath(refPreset('msi-posted'), s);
    expect(without.notApplicable).toEqual(['ipis']);
    expect(without.workloads.ipis).toBeUndefined();
    expect(without.workloads.tick).toBeDefined();
  });
});

describe('trace export (Chrome trace-event JSON for Perfetto)', () => {
  const trace = new ChromeTrace();
  const c = compare(smallScenario(), refPresets().slice(0, 3), { trace });
  const file = JSON.parse(JSON.stringify(trace.toJSON({ scenario: c.scenario })));

  it('has the shape Perfetto reads', () => {
    expect(validateChromeTrace(file)).toEqual([]);
    expect(file.displayTimeUnit).toBe('ns');
    expect(file.otherData.scenario).toBe('small');
  });

  it('one process per path, with tracks per vCPU, exits, host and device', () => {
    const meta = file.traceEvents.filter((e: { ph: string }) => e.ph === 'M');
    const procs = meta.filter((e: { name: string }) => e.name === 'process_name');
    expect(procs.map((e: { pid: number }) => e.pid)).toEqual([1, 2, 3]);
    const threads = meta
      .filter((e: { name: string; pid: number }) => e.name === 'thread_name' && e.pid === 1)
      .map((e: { args: { name: string } }) => e.args.name);
    expect(threads).toEqual(
      expect.arrayContaining([
        'vCPU 0 (guest)',
        'vCPU 1 exits / host time',
        'host CPU work',
        'device rr.rx',
      ]),
    );
  });

  it('spans stay inside the window; flows pair device raises with handler entries', () => {
    const spans = file.traceEvents.filter((e: { ph: string }) => e.ph === 'X');
    expect(spans.length).toBeGreaterThan(50);
    for (const e of spans) expect(e.ts).toBeLessThanOrEqual(200);
    const starts = file.traceEvents.filter((e: { ph: string }) => e.ph === 's');
    const ends = file.traceEvents.filter((e: { ph: string }) => e.ph === 'f');
    expect(starts.length).toBeGreaterThan(0);
    expect(ends.map((e: { id: number }) => e.id)).toEqual(starts.map((e: { id: number }) => e.id));
    expect(spans.some((e: { name: string }) => e.name.startsWith('irq '))).toBe(true);
  });

  it('the validator reports malformed events', () => {
    expect(validateChromeTrace({ traceEvents: [{ ph: 'X', ts: 1, pid: 1, tid: 1 }] })).toEqual([
      'traceEvents[0].name is missing',
      'traceEvents[0].dur must be a number ≥ 0',
    ]);
    expect(validateChromeTrace([])).toEqual(['traceEvents is not an array']);
  });
});

describe('the built-in scenario', () => {
  it('runs every reference path', () => {
    const c = compare({ ...defaultScenario(), durationMs: 5 }, refPresets());
    expect(c.paths.every((p) => p.status === 'ok')).toBe(true);
  });
});
