/**
 * Typed trace events. Plugins add their own event types by augmenting {@link TraceEventMap}:
 *
 * ```ts
 * declare module '@irqkit/core' {
 *   interface TraceEventMap { 'x86.eoi-broadcast': { vector: number } }
 * }
 * ```
 *
 * Emitting is guarded by {@link Trace.enabled}: with no subscriber nothing is built, so the
 * injection path stays allocation-free.
 */
export interface TraceEventMap {
  /** A `setIrq` through the routing table (CORE-2.1). */
  inject: { gsi: number; source: number; level: boolean; result: number };
  /** An MSI delivered (routing entry, `signalMsi`, or irqfd fast path). */
  msi: { addressLo: number; addressHi: number; data: number; result: number };
  /** A controller reported a guest acknowledgement of a pin (CORE-4.2). */
  ack: { chip: number; pin: number; gsi: number };
  /** A resamplefd was signalled (CORE-6.5, 6.8). */
  resample: { gsi: number };
  /** An irqfd became active / was torn down. */
  irqfd: { op: 'assign' | 'deactivate' | 'shutdown'; gsi: number; resample: boolean };
  /** An irqfd injection: fast path (signalling context) or deferred task. */
  'irqfd-inject': { gsi: number; path: 'fast' | 'deferred'; result: number };
  /** The routing table was replaced. */
  routing: { entries: number };
  /** A bypass producer and consumer were connected / disconnected (CORE-7.4, 7.5). */
  bypass: { op: 'connect' | 'disconnect' | 'connect-failed'; irq: number };
  /** A host IRQ line event (spec/host.md). */
  host: { op: string; irq: number };
  /** A vCPU exit, by reason (cost model input). */
  exit: { vcpu: number; reason: string };
  /** An interrupt became pending on a vCPU (token: vector, INTID or XISR). */
  deliver: { vcpu: number; token: number };
  /** The guest took (acknowledged) an interrupt. */
  take: { vcpu: number; token: number };
  /** The guest completed (EOI'd) an interrupt. */
  eoi: { vcpu: number; token: number };
  /** A configuration worth a warning that KVM accepts silently (e.g. CORE-6.1). */
  diagnostic: { code: string; message: string };
  /** A documented, intentional deviation of the model from KVM (e.g. CORE-7.10). */
  deviation: { code: string; message: string };
}

/** One trace event: `{ type, ...fields }`. */
export type TraceEvent = {
  [K in keyof TraceEventMap]: { type: K } & TraceEventMap[K];
}[keyof TraceEventMap];

/** Receives trace events. */
export type TraceListener = (event: TraceEvent) => void;

/** A trace event stream with any number of subscribers. */
export class Trace {
  private listeners: TraceListener[] = [];

  /**
   * True when someone listens; check it before building an event. A field, not a getter: it is
   * read on every injection. Maintained by {@link Trace.subscribe}.
   */
  readonly enabled: boolean = false;

  /**
   * Subscribes `listener`.
   * @returns a function that unsubscribes it.
   */
  subscribe(listener: TraceListener): () => void {
    this.listeners = [...this.listeners, listener];
    this.setEnabled(true);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
      this.setEnabled(this.listeners.length > 0);
    };
  }

  private setEnabled(on: boolean): void {
    (this as { enabled: boolean }).enabled = on;
  }

  /** Sends `event` to every subscriber. */
  emit(event: TraceEvent): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!(event);
  }

  /**
   * Records every event from now on into the returned array (handy in tests).
   * @returns the live array and a function that stops recording.
   */
  record(): { events: TraceEvent[]; stop: () => void } {
    const events: TraceEvent[] = [];
    const stop = this.subscribe((e) => events.push(e));
    return { events, stop };
  }
}
