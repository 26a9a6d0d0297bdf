import { IrqError } from '../errors.js';
import { EventFd } from '../eventfd.js';
import type { Vm } from '../machine/vm.js';
import { RESAMPLER_SOURCE_ID } from '../routing/source-ids.js';
import { Irqfd } from './irqfd.js';
import { Resampler } from './resampler.js';

/** `KVM_IRQFD` flag: remove the irqfd (CORE-5.1). */
export const IRQFD_FLAG_DEASSIGN = 1;
/** `KVM_IRQFD` flag: resampling irqfd; `resamplefd` is required (CORE-5.1). */
export const IRQFD_FLAG_RESAMPLE = 2;

/** A `KVM_IRQFD` request. */
export interface IrqfdRequest {
  /** The trigger eventfd. */
  readonly eventfd: EventFd;
  /** The GSI to inject (not validated, CORE-5.5). */
  readonly gsi: number;
  /** Resampling irqfds only: signalled when the guest acknowledges the GSI. */
  readonly resamplefd?: EventFd;
  /**
   * Optional raw flags for fidelity ({@link IRQFD_FLAG_DEASSIGN}, {@link IRQFD_FLAG_RESAMPLE}).
   * Without flags, a request with a `resamplefd` is a resampling assign.
   */
  readonly flags?: number;
}

/**
 * The VM's irqfds and resamplers (spec/core.md §5, §6): assign, deassign, re-evaluation on
 * routing changes, eventfd hang-up and VM teardown.
 */
export class IrqfdManager {
  private activeList: Irqfd[] = [];
  private readonly resamplers = new Map<number, Resampler>();

  /** @param vm - the VM these irqfds inject into. */
  constructor(private readonly vm: Vm) {}

  /** Active irqfds, in assign order (a copy). */
  get active(): Irqfd[] {
    return this.activeList.slice();
  }

  /** The resampler of `gsi`, if one exists. */
  resampler(gsi: number): Resampler | undefined {
    return this.resamplers.get(gsi);
  }

  /** `KVM_IRQFD`: assigns, or deassigns when `flags` has {@link IRQFD_FLAG_DEASSIGN}. */
  irqfd(req: IrqfdRequest): Irqfd | null {
    const flags = req.flags ?? 0;
    if (!isU32(flags) || (flags & ~(IRQFD_FLAG_DEASSIGN | IRQFD_FLAG_RESAMPLE)) !== 0) {
      throw new IrqError('EINVAL', `irqfd flags ${String(flags)} are invalid`);
    }
    if ((flags & IRQFD_FLAG_DEASSIGN) !== 0) {
      this.deassign(req);
      return null;
    }
    return this.assign(req);
  }

  /**
   * Assigns an irqfd (CORE-5.2 … 5.6).
   * @throws IrqError EINVAL (bad flags, not an open eventfd, arch refusal), EBUSY (eventfd already
   * backs an irqfd), EAGAIN (arch not ready). Nothing is registered on failure.
   */
  assign(req: IrqfdRequest): Irqfd {
    const vm = this.vm;
    const flags = req.flags ?? (req.resamplefd === undefined ? 0 : IRQFD_FLAG_RESAMPLE);
    if (!isU32(flags) || (flags & ~IRQFD_FLAG_RESAMPLE) !== 0) {
      throw new IrqError('EINVAL', `irqfd assign flags ${String(flags)} are invalid`);
    }
    const resample = (flags & IRQFD_FLAG_RESAMPLE) !== 0;
    vm.arch.checkIrqfd?.(resample);
    // CORE-5.3: a closed EventFd has no descriptor left to pass (KVM: EBADF, here EINVAL).
    if (!(req.eventfd instanceof EventFd) || req.eventfd.closed)
      throw new IrqError('EINVAL', 'irqfd eventfd is not an open EventFd');
    if (resample && (!(req.resamplefd instanceof EventFd) || req.resamplefd.closed)) {
      throw new IrqError('EINVAL', 'resampling irqfd needs an open resamplefd EventFd');
    }
    if (!Number.isInteger(req.gsi) || req.gsi < 0 || req.gsi > 0xffffffff) {
      throw new IrqError('EINVAL', `irqfd gsi ${String(req.gsi)} is not a u32`);
    }
    // CORE-5.4, checked up front so that nothing below has to be undone.
    if (req.eventfd.hasPriorityWaiter) {
      throw new IrqError('EBUSY', `eventfd already backs an irqfd (gsi ${req.gsi})`);
    }
    const irqfd = new Irqfd(vm, req.eventfd, req.gsi, resample ? req.resamplefd! : null);
    vm.scheduler.enter();
    try {
      // Step 1 (CORE-6.3): join or create the resampler before the eventfd can fire.
      if (resample) this.joinResampler(irqfd);
      // Step 2: cache the route, attach, activate.
      irqfd.route = this.cachedRoute(req.gsi);
      req.eventfd.attachPriorityWaiter(irqfd);
      irqfd.active = true;
      this.activeList = [...this.activeList, irqfd];
      if (resample && irqfd.route !== null && irqfd.route.entry.kind !== 'irqchip') {
        vm.diagnostic(
          'CORE-6.1',
          `resampling irqfd on gsi ${req.gsi} whose route is '${irqfd.route.entry.kind}': it will never be resampled`,
        );
      }
      if (vm.trace.enabled === true)
        vm.trace.emit({ type: 'irqfd', op: 'assign', gsi: req.gsi, resample });
      // Step 3: an event that arrived before registration is not lost.
      if (req.eventfd.count > 0) vm.schedule(irqfd.injectTask);
      // Step 4: bypass consumer; failures are logged and ignored.
      if (vm.arch.bypass !== undefined) {
        try {
          vm.host.bypass.registerConsumer(irqfd, req.eventfd);
        } catch (e) {
          vm.diagnostic(
            'CORE-5.2',
            `irqfd on gsi ${req.gsi}: bypass registration failed: ${String(e)}`,
          );
        }
      }
    } finally {
      vm.scheduler.exit();
    }
    return irqfd;
  }

  /**
   * Deassigns every active irqfd whose eventfd and GSI both match, then flushes all of this
   * VM's queued shutdowns (CORE-5.12). Matching nothing is not an error.
   */
  deassign(req: Pick<IrqfdRequest, 'eventfd' | 'gsi'>): void {
    if (!(req.eventfd instanceof EventFd))
      throw new IrqError('EINVAL', 'irqfd eventfd is not an EventFd');
    const vm = this.vm;
    vm.scheduler.enter();
    try {
      for (const irqfd of this.activeList) {
        if (irqfd.eventfd !== req.eventfd || irqfd.gsi !== req.gsi) continue;
        irqfd.route = null; // a concurrent routing update must not re-arm the fast path
        this.deactivate(irqfd);
      }
      vm.scheduler.flush('shutdown', vm);
    } finally {
      vm.scheduler.exit();
    }
  }

  /** Eventfd hang-up (CORE-5.16): deactivate and queue the shutdown, without flushing. */
  hangup(irqfd: Irqfd): void {
    if (!irqfd.active) return;
    this.vm.scheduler.enter();
    try {
      this.deactivate(irqfd);
    } finally {
      this.vm.scheduler.exit();
    }
  }

  /** Re-evaluates every active irqfd's cached route after a table was published (CORE-5.14). */
  refreshRoutes(): void {
    const hooks = this.vm.arch.bypass;
    for (const irqfd of this.activeList) {
      const previous = irqfd.route;
      const next = this.cachedRoute(irqfd.gsi);
      irqfd.route = next;
      if (
        irqfd.producer !== null &&
        hooks?.updateRouting !== undefined &&
        !sameEntry(previous, next)
      ) {
        hooks.updateRouting(irqfd, previous, next);
      }
    }
  }

  /** Signals every resamplefd on `gsi` without de-asserting (CORE-6.8). */
  resampleGsi(gsi: number): boolean {
    const r = this.resamplers.get(gsi);
    if (r === undefined) return false;
    r.signalAll();
    return true;
  }

  /** VM teardown (CORE-5.18): deactivate everything and run the shutdowns. */
  teardown(): void {
    const vm = this.vm;
    vm.scheduler.enter();
    try {
      for (const irqfd of this.activeList) this.deactivate(irqfd);
      vm.scheduler.flush('shutdown', vm);
    } finally {
      vm.scheduler.exit();
    }
  }

  /** The shutdown task body (CORE-5.13). Called by the irqfd's `shutdown` task. */
  shutdown(irqfd: Irqfd): void {
    const vm = this.vm;
    // (2) no further signals reach this irqfd; the counter is consumed.
    irqfd.eventfd.detachPriorityWaiter(irqfd);
    // (3) an injection triggered before deassign completes before teardown.
    vm.scheduler.runTask(irqfd.injectTask);
    // (4) leave the resampler.
    if (irqfd.resampler !== null) this.leaveResampler(irqfd, irqfd.resampler);
    // (5) a bypassed route is torn down here, before deassign returns.
    vm.host.bypass.unregisterConsumer(irqfd);
    irqfd.shutDown = true;
    if (vm.trace.enabled === true) {
      vm.trace.emit({ type: 'irqfd', op: 'shutdown', gsi: irqfd.gsi, resample: irqfd.resample });
    }
  }

  private deactivate(irqfd: Irqfd): void {
    // The cached route stays (KVM clears it only in deassign): after a hang-up, a kernel-side
    // producer still injects through it until the shutdown runs (CORE-5.16).
    irqfd.active = false;
    this.activeList = this.activeList.filter((x) => x !== irqfd);
    this.vm.schedule(irqfd.shutdownTask);
    if (this.vm.trace.enabled === true) {
      this.vm.trace.emit({
        type: 'irqfd',
        op: 'deactivate',
        gsi: irqfd.gsi,
        resample: irqfd.resample,
      });
    }
  }

  private cachedRoute(gsi: number): Irqfd['route'] {
    const targets = this.vm.router.targets(gsi);
    return targets.length === 1 ? targets[0]! : null;
  }

  // CORE-6.3: find or create the GSI's resampler (registering its ack notifier), then join.
  private joinResampler(irqfd: Irqfd): void {
    let r = this.resamplers.get(irqfd.gsi);
    if (r === undefined) {
      r = new Resampler(this.vm, irqfd.gsi);
      this.resamplers.set(irqfd.gsi, r);
      this.vm.registerAckNotifier(r);
    }
    r.join(irqfd);
  }

  // CORE-6.9: the last one out unregisters the notifier and only then de-asserts.
  private leaveResampler(irqfd: Irqfd, r: Resampler): void {
    const empty = r.leave(irqfd);
    this.vm.scheduler.checkpoint('resampler-left', irqfd);
    if (!empty) return;
    this.resamplers.delete(r.gsi);
    this.vm.unregisterAckNotifier(r);
    this.vm.setIrq(RESAMPLER_SOURCE_ID, r.gsi, false);
  }
}

// Flags are a u32 in KVM_IRQFD; JavaScript's bitwise operators would truncate 2^32 to 0.
function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function sameEntry(a: Irqfd['route'], b: Irqfd['route']): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ea = a.entry as unknown as Record<string, unknown>;
  const eb = b.entry as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(ea), ...Object.keys(eb)]);
  for (const k of keys) if (ea[k] !== eb[k]) return false;
  return true;
}
