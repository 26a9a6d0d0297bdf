/**
 * One event of the Chrome trace-event format (the JSON that chrome://tracing, Perfetto and
 * speedscope read): `ph` is the phase — `X` complete span, `i` instant, `M` metadata, `s`/`f`
 * flow start/finish, `C` counter. Times are in microseconds.
 */
export interface ChromeTraceEvent {
  /** Event name. */
  readonly name: string;
  /** Phase. */
  readonly ph: 'X' | 'i' | 'M' | 's' | 'f' | 'C';
  /** Timestamp, µs. */
  readonly ts: number;
  /** Process id (one per simulated path). */
  readonly pid: number;
  /** Thread id (one per track: vCPU, exits of a vCPU, host, device). */
  readonly tid: number;
  /** Category. */
  readonly cat?: string;
  /** Duration of an `X` span, µs. */
  readonly dur?: number;
  /** Scope of an instant (`t` thread). */
  readonly s?: 't';
  /** Flow id (`s` / `f`). */
  readonly id?: number;
  /** Flow binding point (`e`: the enclosing slice). */
  readonly bp?: 'e';
  /** Arguments shown in the UI. */
  readonly args?: Readonly<Record<string, string | number>>;
}

/** A whole trace file. */
export interface ChromeTraceFile {
  /** The events. */
  readonly traceEvents: readonly ChromeTraceEvent[];
  /** Preferred display unit. */
  readonly displayTimeUnit: 'ns' | 'ms';
  /** Free-form metadata (scenario, seed, tool). */
  readonly otherData: Readonly<Record<string, string | number>>;
}

/** ns → µs with nanosecond resolution kept (three decimals). */
function us(ns: number): number {
  return Math.round(ns) / 1000;
}

/**
 * Collects Chrome trace events for one or more simulated paths. One process per path; in it
 * one track per vCPU (guest work), one per vCPU for its exits, one for host work and one per
 * interrupt source (device raises). Device raises and handler entries are linked with flow
 * arrows.
 */
export class ChromeTrace {
  private readonly events: ChromeTraceEvent[] = [];
  private nextFlow = 1;

  /** Names process `pid` (a path) and orders it. */
  process(pid: number, name: string): void {
    this.events.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name } });
    this.events.push({
      name: 'process_sort_index',
      ph: 'M',
      ts: 0,
      pid,
      tid: 0,
      args: { sort_index: pid },
    });
  }

  /** Names track `tid` of process `pid`. */
  thread(pid: number, tid: number, name: string): void {
    this.events.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name } });
    this.events.push({
      name: 'thread_sort_index',
      ph: 'M',
      ts: 0,
      pid,
      tid,
      args: { sort_index: tid },
    });
  }

  /** A span from `startNs` lasting `durNs`. */
  span(
    pid: number,
    tid: number,
    name: string,
    cat: string,
    startNs: number,
    durNs: number,
    args?: Readonly<Record<string, string | number>>,
  ): void {
    const e: ChromeTraceEvent = {
      name,
      cat,
      ph: 'X',
      ts: us(startNs),
      dur: us(durNs),
      pid,
      tid,
    };
    this.events.push(args === undefined ? e : { ...e, args });
  }

  /** An instant at `atNs`. */
  instant(
    pid: number,
    tid: number,
    name: string,
    cat: string,
    atNs: number,
    args?: Readonly<Record<string, string | number>>,
  ): void {
    const e: ChromeTraceEvent = { name, cat, ph: 'i', s: 't', ts: us(atNs), pid, tid };
    this.events.push(args === undefined ? e : { ...e, args });
  }

  /**
   * A flow arrow from (`fromTid`, `fromNs`) to (`toTid`, `toNs`): each end binds to the slice
   * enclosing it on its track.
   */
  flow(
    pid: number,
    name: string,
    fromTid: number,
    fromNs: number,
    toTid: number,
    toNs: number,
  ): void {
    const id = this.nextFlow++;
    this.events.push({ name, cat: 'flow', ph: 's', id, ts: us(fromNs), pid, tid: fromTid });
    this.events.push({ name, cat: 'flow', ph: 'f', bp: 'e', id, ts: us(toNs), pid, tid: toTid });
  }

  /** Number of events so far. */
  get size(): number {
    return this.events.length;
  }

  /** The trace file. */
  toJSON(otherData: Readonly<Record<string, string | number>> = {}): ChromeTraceFile {
    return { traceEvents: this.events, displayTimeUnit: 'ns', otherData };
  }
}

/**
 * Checks the shape Perfetto and chrome://tracing need: a `traceEvents` array whose events
 * have a name, a known phase, numeric `ts`/`pid`/`tid`, a non-negative `dur` on `X` events,
 * an `id` on flow events, and metadata names.
 * @returns the problems found (empty when valid).
 */
export function validateChromeTrace(file: unknown): string[] {
  const problems: string[] = [];
  if (typeof file !== 'object' || file === null) return ['trace is not an object'];
  const events = (file as { traceEvents?: unknown }).traceEvents;
  if (!Array.isArray(events)) return ['traceEvents is not an array'];
  const phases = new Set(['X', 'i', 'M', 's', 'f', 'C']);
  events.forEach((e: unknown, i) => {
    const at = `traceEvents[${i}]`;
    if (typeof e !== 'object' || e === null) {
      problems.push(`${at} is not an object`);
      return;
    }
    const ev = e as Record<string, unknown>;
    if (typeof ev.name !== 'string' || ev.name === '') problems.push(`${at}.name is missing`);
    if (typeof ev.ph !== 'string' || !phases.has(ev.ph)) problems.push(`${at}.ph is invalid`);
    for (const k of ['ts', 'pid', 'tid']) {
      if (typeof ev[k] !== 'number' || !Number.isFinite(ev[k] as number)) {
        problems.push(`${at}.${k} is not a finite number`);
      }
    }
    if (ev.ph === 'X' && !(typeof ev.dur === 'number' && ev.dur >= 0)) {
      problems.push(`${at}.dur must be a number ≥ 0`);
    }
    if ((ev.ph === 's' || ev.ph === 'f') && typeof ev.id !== 'number') {
      problems.push(`${at}.id is missing on a flow event`);
    }
    if (ev.ph === 'M') {
      const args = ev.args as Record<string, unknown> | undefined;
      if (args === undefined || (args.name === undefined && args.sort_index === undefined)) {
        problems.push(`${at}: metadata without args.name / args.sort_index`);
      }
    }
  });
  return problems;
}
