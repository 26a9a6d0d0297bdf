import type { IrqBypassConsumer, IrqBypassProducer } from '../bypass/types.js';
import { Dlv } from '../delivery.js';
import type { EventFd, EventFdWaiter, EventFdWake } from '../eventfd.js';
import type { Vm } from '../machine/vm.js';
import type { RouteTarget } from '../routing/kinds.js';
import { SourceId } from '../routing/source-ids.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { Task } from '../sched/task.js';
import type { Resampler } from './resampler.js';

/**
 * One irqfd: an eventfd bound to a GSI (spec/core.md §5). It is the eventfd's priority
 * exclusive waiter, the IRQ-bypass consumer for that eventfd, and — when resampling — a member
 * of its GSI's shared resampler (§6).
 *
 * Signals try the cached route from the signalling context first (fast path, CORE-5.8) and
 * otherwise queue the `inject` task (CORE-5.9). Created by {@link IrqfdManager.assign}.
 */
export class Irqfd implements EventFdWaiter, IrqBypassConsumer {
  /** True from assign until deassign / eventfd hang-up. */
  active = false;
  /** The fast-path route cache (CORE-5.14): the GSI's single entry, or null. */
  route: RouteTarget | null = null;
  /** The paired bypass producer, if any (set while connected). */
  producer: IrqBypassProducer | null = null;
  /** Bypass token while registered as a consumer. */
  token: object | null = null;
  /** The resampler this irqfd belongs to (resampling irqfds only, until shutdown). */
  resampler: Resampler | null = null;
  /** True once its shutdown task has completed. */
  shutDown = false;
  /** The deferred injection (CORE-5.9). */
  readonly injectTask: Task;
  /** The teardown (CORE-5.13). */
  readonly shutdownTask: Task;
  // The host's scheduler, read once: wake() brackets every signal with it.
  private readonly sched: Scheduler;

  /**
   * @param vm - the VM it injects into.
   * @param eventfd - the trigger.
   * @param gsi - the GSI it injects.
   * @param resamplefd - signalled on acknowledgement; null for a plain irqfd.
   */
  constructor(
    readonly vm: Vm,
    readonly eventfd: EventFd,
    readonly gsi: number,
    readonly resamplefd: EventFd | null,
  ) {
    this.sched = vm.scheduler;
    this.injectTask = {
      kind: 'inject',
      owner: vm,
      label: `irqfd inject gsi ${gsi}`,
      queued: false,
      run: () => this.inject(),
    };
    this.shutdownTask = {
      kind: 'shutdown',
      owner: vm,
      label: `irqfd shutdown gsi ${gsi}`,
      queued: false,
      run: () => vm.irqfds.shutdown(this),
    };
  }

  /** True for a resampling irqfd. */
  get resample(): boolean {
    return this.resamplefd !== null;
  }

  /** Eventfd wake-up callback (CORE-5.7, 5.8, 5.16). */
  wake(fd: EventFd, why: EventFdWake): boolean {
    if (why === 'hangup') {
      this.vm.irqfds.hangup(this);
      return false;
    }
    const sched = this.sched;
    sched.enter();
    try {
      fd.read(); // CORE-5.7: consume the counter (1 in semaphore mode)
      const route = this.route;
      if (route !== null) {
        const r = route.setInatomic(SourceId.Userspace, true);
        if (r !== Dlv.WouldBlock) {
          this.vm.countFastPath(this.gsi, r);
          return true;
        }
      }
      this.vm.schedule(this.injectTask);
    } finally {
      sched.exit();
    }
    return true;
  }

  // CORE-5.9: an edge pulse, or for resampling irqfds an assertion the resampler will drop.
  private inject(): void {
    const vm = this.vm;
    let r: number;
    if (this.resamplefd !== null) {
      r = vm.setIrq(SourceId.Resampler, this.gsi, true);
    } else {
      // While the irqfd is active its cached route is the GSI's only current entry (refreshed
      // with every table, CORE-5.14). Otherwise — no single entry, or deactivated by close or
      // deassign, when the cache is no longer kept — setIrq looks the GSI up in the table.
      const route = this.route;
      if (route !== null && this.active === true)
        r = vm.pulseRoute(route, SourceId.Userspace, this.gsi);
      else {
        r = vm.setIrq(SourceId.Userspace, this.gsi, true);
        vm.setIrq(SourceId.Userspace, this.gsi, false);
      }
    }
    vm.countDeferred(this.gsi, r);
  }

  /** Bypass consumer: a producer is being paired (CORE-7.9, 7.10). */
  addProducer(producer: IrqBypassProducer): number {
    const hooks = this.vm.arch.bypass;
    if (hooks === undefined) return 0;
    this.producer = producer;
    const r = hooks.addProducer(this, producer);
    if (r !== 0) {
      // CORE-7.10: KVM leaves the producer recorded after a failed connect; the model clears it.
      this.producer = null;
      this.vm.deviation(
        'CORE-7.10',
        `irqfd on gsi ${this.gsi}: producer cleared after failed connect (${r})`,
      );
    }
    return r;
  }

  /** Bypass consumer: the pairing ends. */
  delProducer(producer: IrqBypassProducer): void {
    this.vm.arch.bypass?.delProducer(this, producer);
    this.producer = null;
  }

  /** Bypass consumer: quiesce. */
  stop(): void {
    this.vm.arch.bypass?.stop?.(this);
  }

  /** Bypass consumer: resume. */
  start(): void {
    this.vm.arch.bypass?.start?.(this);
  }
}
