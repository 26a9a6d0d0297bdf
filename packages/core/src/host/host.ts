import { IrqBypassManager } from '../bypass/manager.js';
import { IrqError } from '../errors.js';
import { Counters } from '../obs/counters.js';
import { Trace } from '../obs/trace.js';
import { ImmediateScheduler, type Scheduler } from '../sched/scheduler.js';
import { HostIrqLine } from './host-irq-line.js';

/**
 * Where a posted (bypassed) host MSI goes instead of the host handler: set by an arch's bypass
 * hook through {@link HostIrqController.setVcpuAffinity}, as KVM programs a posted IRTE.
 */
export interface PostedTarget {
  /** Delivers the interrupt to the guest without the host handler → eventfd → irqfd path. */
  post(): void;
}

/** A host MSI (edge, no line state): a handler, or a posted target while bypassed. */
export class HostMsiIrq {
  /** The IRTE's posted target, or null (remapped: the host handler runs). */
  posted: PostedTarget | null = null;
  /** Times it fired. */
  fired = 0;
  private readonly cHostIrqs: number;

  /**
   * @param irq - host IRQ number.
   * @param handler - the host handler (VFIO signals the vector's eventfd).
   */
  constructor(
    readonly irq: number,
    private readonly handler: () => void,
    private readonly counters: Counters,
  ) {
    this.cHostIrqs = counters.id('hostIrqs');
  }

  /** The device sends the message: posted to the guest, or handled by the host. */
  fire(): void {
    this.fired++;
    const posted = this.posted;
    if (posted !== null) {
      posted.post();
      return;
    }
    this.counters.add(this.cHostIrqs);
    this.handler();
  }
}

/** The host's interrupt descriptors: level lines and MSIs by host IRQ number. */
export class HostIrqController {
  private readonly irqs = new Map<number, HostIrqLine | HostMsiIrq>();
  private next = 32;

  constructor(
    private readonly counters: Counters,
    private readonly trace: Trace,
  ) {}

  /** Creates a level line with the next free number (or `irq` if given and free). */
  createLine(irq?: number): HostIrqLine {
    const n = this.claim(irq);
    const line = new HostIrqLine(n, this.counters, this.trace);
    this.irqs.set(n, line);
    return line;
  }

  /** Creates a host MSI whose host handler is `handler`. */
  createMsi(handler: () => void): HostMsiIrq {
    const n = this.claim();
    const msi = new HostMsiIrq(n, handler, this.counters);
    this.irqs.set(n, msi);
    return msi;
  }

  /** Frees host IRQ `irq`. */
  release(irq: number): void {
    this.irqs.delete(irq);
  }

  /** The descriptor of `irq`, if any. */
  get(irq: number): HostIrqLine | HostMsiIrq | undefined {
    return this.irqs.get(irq);
  }

  /**
   * `irq_set_vcpu_affinity`: posts host MSI `irq` to `target`, or reverts it to the host
   * handler when `target` is null.
   * @throws IrqError EINVAL if `irq` is not a host MSI.
   */
  setVcpuAffinity(irq: number, target: PostedTarget | null): void {
    const d = this.irqs.get(irq);
    if (!(d instanceof HostMsiIrq)) throw new IrqError('EINVAL', `host irq ${irq} is not an MSI`);
    d.posted = target;
    this.counters.bump('irteUpdates');
  }

  private claim(irq?: number): number {
    if (irq !== undefined) {
      if (!Number.isInteger(irq) || irq < 0)
        throw new IrqError('EINVAL', `host irq ${irq} is invalid`);
      if (this.irqs.has(irq)) throw new IrqError('EEXIST', `host irq ${irq} exists`);
      this.next = Math.max(this.next, irq + 1);
      return irq;
    }
    while (this.irqs.has(this.next)) this.next++;
    return this.next++;
  }
}

/**
 * The host kernel: what all VMs on a machine share — the work-queue scheduler (CORE-0.3), the
 * system-wide IRQ bypass manager (CORE-7.7), host interrupt descriptors, host counters and
 * trace.
 */
export class Host {
  /** Deferred work of every VM on this host. */
  readonly scheduler: Scheduler;
  /** Host-side counters (`hostIrqs`, `bypassConnects`, VFIO events, …). */
  readonly counters: Counters = new Counters();
  /** Host-side trace events. */
  readonly trace: Trace = new Trace();
  /** The system-wide IRQ bypass manager. */
  readonly bypass: IrqBypassManager;
  /** Host interrupt descriptors. */
  readonly irqs: HostIrqController;

  /** @param options.scheduler - default: an {@link ImmediateScheduler}. */
  constructor(options: { scheduler?: Scheduler } = {}) {
    this.scheduler = options.scheduler ?? new ImmediateScheduler();
    this.bypass = new IrqBypassManager(this.counters, this.trace);
    this.irqs = new HostIrqController(this.counters, this.trace);
  }
}
