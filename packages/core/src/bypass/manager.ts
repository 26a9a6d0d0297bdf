import { ERRNO, errnoToCode, IrqError } from '../errors.js';
import type { Counters } from '../obs/counters.js';
import type { Trace } from '../obs/trace.js';
import type { IrqBypassConsumer, IrqBypassProducer } from './types.js';

/**
 * The system-wide IRQ bypass registry (CORE-7.1 … 7.8). One lock serialises everything; a
 * callback that calls back into the manager gets EBUSY (KVM would self-deadlock), with no
 * state changed.
 */
export class IrqBypassManager {
  private readonly producers = new Map<object, IrqBypassProducer>();
  private readonly consumers = new Map<object, IrqBypassConsumer>();
  private readonly registeredProducers = new Set<IrqBypassProducer>();
  private readonly registeredConsumers = new Set<IrqBypassConsumer>();
  private locked = false;
  private readonly cConnect: number;
  private readonly cDisconnect: number;

  /**
   * @param counters - receives `bypassConnects` / `bypassDisconnects`.
   * @param trace - receives `bypass` events.
   */
  constructor(
    private readonly counters: Counters,
    private readonly trace: Trace,
  ) {
    this.cConnect = counters.id('bypassConnects');
    this.cDisconnect = counters.id('bypassDisconnects');
  }

  /**
   * Registers `p` under `token` with host IRQ `irq`; connects it if a consumer holds the token.
   * @throws IrqError EINVAL if `p` is registered; EBUSY if the token has a producer or the
   * manager is busy; the consumer's errno if connecting fails (then `p` is not registered).
   */
  registerProducer(p: IrqBypassProducer, token: object, irq: number): void {
    this.locked_(() => {
      if (this.registeredProducers.has(p))
        throw new IrqError('EINVAL', 'producer is already registered');
      if (this.producers.has(token))
        throw new IrqError('EBUSY', 'another producer holds this token');
      p.irq = irq;
      const c = this.consumers.get(token);
      if (c !== undefined) {
        const r = this.connect(p, c);
        if (r !== 0)
          throw new IrqError(errnoToCode(r), `connecting producer (irq ${irq}) failed: ${r}`);
      }
      this.producers.set(token, p);
      this.registeredProducers.add(p);
      p.token = token;
    });
  }

  /**
   * Registers `c` under `token`; connects it if a producer holds the token.
   * @throws IrqError EINVAL if `c` is registered or lacks `addProducer`/`delProducer`; EBUSY
   * if the token has a consumer or the manager is busy; the errno of a failed connect.
   */
  registerConsumer(c: IrqBypassConsumer, token: object): void {
    this.locked_(() => {
      if (this.registeredConsumers.has(c))
        throw new IrqError('EINVAL', 'consumer is already registered');
      if (typeof c.addProducer !== 'function' || typeof c.delProducer !== 'function') {
        throw new IrqError('EINVAL', 'consumer must implement addProducer and delProducer');
      }
      if (this.consumers.has(token))
        throw new IrqError('EBUSY', 'another consumer holds this token');
      const p = this.producers.get(token);
      if (p !== undefined) {
        const r = this.connect(p, c);
        if (r !== 0) throw new IrqError(errnoToCode(r), `connecting consumer failed: ${r}`);
      }
      this.consumers.set(token, c);
      this.registeredConsumers.add(c);
      c.token = token;
    });
  }

  /** Unregisters `p`, disconnecting it first; a no-op if it is not registered (CORE-7.3). */
  unregisterProducer(p: IrqBypassProducer): void {
    this.locked_(() => {
      if (!this.registeredProducers.has(p) || p.token === null) return;
      if (p.consumer !== null) this.disconnect(p, p.consumer);
      this.producers.delete(p.token);
      this.registeredProducers.delete(p);
      p.token = null;
    });
  }

  /** Unregisters `c`, disconnecting it first; a no-op if it is not registered (CORE-7.3). */
  unregisterConsumer(c: IrqBypassConsumer): void {
    this.locked_(() => {
      if (!this.registeredConsumers.has(c) || c.token === null) return;
      if (c.producer !== null) this.disconnect(c.producer, c);
      this.consumers.delete(c.token);
      this.registeredConsumers.delete(c);
      c.token = null;
    });
  }

  /** True if `p` is registered. */
  hasProducer(p: IrqBypassProducer): boolean {
    return this.registeredProducers.has(p);
  }

  /** True if `c` is registered. */
  hasConsumer(c: IrqBypassConsumer): boolean {
    return this.registeredConsumers.has(c);
  }

  // CORE-7.4: the callback order, with steps 5 and 6 run even on failure.
  private connect(p: IrqBypassProducer, c: IrqBypassConsumer): number {
    p.stop?.();
    c.stop?.();
    let r = p.addConsumer === undefined ? 0 : call(() => p.addConsumer!(c));
    if (r === 0) {
      r = call(() => c.addProducer(p));
      if (r !== 0) p.delConsumer?.(c);
    }
    c.start?.();
    p.start?.();
    if (r === 0) {
      p.consumer = c;
      c.producer = p;
      this.counters.add(this.cConnect);
    }
    if (this.trace.enabled === true) {
      this.trace.emit({ type: 'bypass', op: r === 0 ? 'connect' : 'connect-failed', irq: p.irq });
    }
    return r;
  }

  // CORE-7.5
  private disconnect(p: IrqBypassProducer, c: IrqBypassConsumer): void {
    p.stop?.();
    c.stop?.();
    c.delProducer(p);
    p.delConsumer?.(c);
    c.start?.();
    p.start?.();
    p.consumer = null;
    c.producer = null;
    this.counters.add(this.cDisconnect);
    if (this.trace.enabled === true)
      this.trace.emit({ type: 'bypass', op: 'disconnect', irq: p.irq });
  }

  // CORE-7.7: one manager-wide lock; re-entry from a callback is refused without side effects.
  private locked_(fn: () => void): void {
    if (this.locked) throw new IrqError('EBUSY', 'IRQ bypass manager called from its own callback');
    this.locked = true;
    try {
      fn();
    } finally {
      this.locked = false;
    }
  }
}

// A callback that throws counts as a failed connect with its errno (KVM callbacks cannot throw).
function call(fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    return e instanceof IrqError ? -e.errno : -ERRNO.EINVAL;
  }
}
