import type { IrqBypassConsumer, IrqBypassProducer } from '../bypass/types.js';
import { IrqError } from '../errors.js';
import { EventFd } from '../eventfd.js';
import type { Host, HostMsiIrq } from './host.js';

/** One MSI / MSI-X vector: a host MSI, its trigger eventfd, and its bypass producer role. */
export class MsiVector implements IrqBypassProducer {
  /** Bypass token (set by the manager). */
  token: object | null = null;
  /** Paired consumer (set by the manager). */
  consumer: IrqBypassConsumer | null = null;
  /** Host IRQ number. */
  irq: number;
  /** The trigger eventfd, or null (messages are then dropped). */
  eventfd: EventFd | null = null;
  /** MSI-X per-vector mask bit. */
  masked = false;
  /** MSI-X pending bit (set when fired while masked). */
  pending = false;
  /** Messages dropped because no eventfd was set (HOST-3.1). */
  dropped = 0;
  /** The host MSI behind the vector. */
  readonly hostIrq: HostMsiIrq;
  private readonly host: Host;
  private readonly cDropped: number;

  /**
   * @param index - vector number.
   * @param host - the host kernel.
   */
  constructor(
    readonly index: number,
    host: Host,
  ) {
    this.host = host;
    this.cDropped = host.counters.id('msiDropped');
    this.hostIrq = host.irqs.createMsi(() => this.hostHandler());
    this.irq = this.hostIrq.irq;
  }

  // VFIO's MSI handler: signal the vector's eventfd (HOST-3.1: no eventfd → dropped, counted).
  private hostHandler(): void {
    if (this.eventfd === null) {
      this.dropped++;
      this.host.counters.add(this.cDropped);
      return;
    }
    this.eventfd.signal();
  }
}

// HOST-3.1: MSI's Multiple Message Capable field encodes 1, 2, 4 … 32; MSI-X has 1 … 2048.
const MSI_VECTOR_COUNTS: readonly number[] = [1, 2, 4, 8, 16, 32];
const MSIX_MAX_VECTORS = 2048;

/** Options of {@link VfioMsiDevice}. */
export interface VfioMsiDeviceOptions {
  /** MSI (1, 2, 4, … 32 vectors, no per-vector mask) or MSI-X (1 … 2048, maskable). */
  readonly type: 'msi' | 'msix';
  /** Number of vectors. */
  readonly vectors: number;
}

/**
 * A device's MSI or MSI-X vectors behind VFIO (spec/host.md §3). Each vector with an eventfd
 * is an IRQ-bypass producer whose token is that eventfd (HOST-3.2); firing a vector either
 * reaches the guest directly (posted, when an arch paired it) or runs the host handler, which
 * signals the eventfd.
 */
export class VfioMsiDevice {
  /** The vectors. */
  readonly vectors: readonly MsiVector[];
  /** MSI or MSI-X. */
  readonly type: 'msi' | 'msix';

  /**
   * @throws IrqError EINVAL for an unknown type or a vector count MSI/MSI-X cannot have;
   * no host IRQ is allocated then.
   */
  constructor(
    private readonly host: Host,
    options: VfioMsiDeviceOptions,
  ) {
    const n = options.vectors;
    let ok: boolean;
    if (options.type === 'msi') ok = MSI_VECTOR_COUNTS.includes(n);
    else if (options.type === 'msix') ok = Number.isInteger(n) && n >= 1 && n <= MSIX_MAX_VECTORS;
    else throw new IrqError('EINVAL', `unknown MSI type '${String(options.type)}'`);
    if (!ok) throw new IrqError('EINVAL', `${options.type} cannot have ${n} vectors`);
    this.type = options.type;
    this.vectors = Array.from({ length: n }, (_, i) => new MsiVector(i, host));
  }

  /**
   * Sets vector `index`'s trigger eventfd (or removes it with null). The old producer is
   * unregistered before the new one registers (HOST-3.2); bypass failures are ignored as VFIO
   * does (CORE-7.6). Setting the eventfd a vector already has keeps its connection.
   * @throws IrqError EINVAL for a bad index or a trigger that is not an {@link EventFd}; nothing
   * changes then.
   */
  setTrigger(index: number, eventfd: EventFd | null): void {
    const v = this.vector(index);
    if (eventfd !== null && !(eventfd instanceof EventFd)) {
      throw new IrqError('EINVAL', `vector ${index}: trigger is not an EventFd`);
    }
    const bypass = this.host.bypass;
    if (v.eventfd === eventfd && (eventfd === null || bypass.hasProducer(v))) return;
    bypass.unregisterProducer(v);
    v.eventfd = eventfd;
    if (eventfd === null) return;
    try {
      bypass.registerProducer(v, eventfd, v.irq);
    } catch {
      // logged and ignored: the interrupt keeps flowing through the eventfd
    }
  }

  /** The device sends vector `index` (HOST-3.1); a masked MSI-X vector only sets pending (HOST-3.3). */
  fire(index: number): void {
    const v = this.vector(index);
    if (v.masked) {
      v.pending = true;
      return;
    }
    v.hostIrq.fire();
  }

  /** Sets the MSI-X mask bit of `index`. @throws IrqError EINVAL for plain MSI */
  mask(index: number): void {
    this.maskable(index).masked = true;
  }

  /** Clears the MSI-X mask bit; a pending vector fires once (HOST-3.3). */
  unmask(index: number): void {
    const v = this.maskable(index);
    v.masked = false;
    if (v.pending) {
      v.pending = false;
      v.hostIrq.fire();
    }
  }

  /** Vector `index`. @throws IrqError EINVAL if out of range */
  vector(index: number): MsiVector {
    const v = this.vectors[index];
    if (v === undefined || !Number.isInteger(index)) {
      throw new IrqError('EINVAL', `vector ${index} is out of range 0..${this.vectors.length - 1}`);
    }
    return v;
  }

  private maskable(index: number): MsiVector {
    if (this.type !== 'msix') throw new IrqError('EINVAL', 'plain MSI has no per-vector mask');
    return this.vector(index);
  }
}
