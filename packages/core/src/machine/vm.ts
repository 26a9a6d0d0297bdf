import { type AckNotifier, AckNotifierList } from '../ack/ack-notifiers.js';
import { type Delivery, Dlv } from '../delivery.js';
import { IrqError } from '../errors.js';
import type { Host } from '../host/host.js';
import { IrqfdManager } from '../irqfd/irqfds.js';
import { Counters } from '../obs/counters.js';
import { Trace } from '../obs/trace.js';
import { checkU32, irqchipKind, msiKind } from '../routing/core-kinds.js';
import {
  type MsiMessage,
  ROUTE_FLAG_VALID_DEVID,
  type RoutingEntryBase,
} from '../routing/entries.js';
import type { RouteKind, RouteTarget } from '../routing/kinds.js';
import { PinLines } from '../routing/pin-lines.js';
import { SourceId, SourceIdAllocator } from '../routing/source-ids.js';
import { type GsiRouter, RouteKindRegistry, RoutingTable } from '../routing/table.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { Task } from '../sched/task.js';
import type { IrqArch, IrqChip } from './arch.js';

/** Options of {@link Vm}. */
export interface VmOptions {
  /** The host kernel this VM runs on (scheduler, bypass manager, host IRQs). */
  readonly host: Host;
  /** The architecture's hooks. */
  readonly arch: IrqArch;
  /** Machine counters to count into (default: a new set). */
  readonly counters?: Counters;
  /** Machine trace (default: a new one). */
  readonly trace?: Trace;
  /**
   * A fixed GSI map for architectures without a routing table (POWER XICS). When given,
   * `setGsiRouting` is refused with ENOTTY, as `KVM_SET_GSI_ROUTING` is absent there.
   */
  readonly router?: GsiRouter;
}

/** The snapshot of the core's part of a VM (routing table and per-pin source bitmaps). */
export interface VmSnapshot {
  /** The routing table, or null for a fixed router. */
  readonly routing: RoutingEntryBase[] | null;
  /** Per-pin source bitmaps by controller id. */
  readonly lines: Record<string, number[]>;
}

/**
 * A VM's interrupt plumbing, as KVM's generic code has it (spec/core.md): the routing table
 * and `setIrq` (§1, §2), per-pin source ids (§3), ack notifiers (§4), irqfds and resamplers
 * (§5, §6), `irqLine` and `signalMsi` (§8). The architecture supplies controllers
 * ({@link Vm.addChip}) and hooks ({@link IrqArch}).
 */
export class Vm {
  /** The host kernel this VM runs on. */
  readonly host: Host;
  /** Architecture hooks. */
  readonly arch: IrqArch;
  /** Counters (core names: `injections`, `delivered`, `coalesced`, `ignored`, …). */
  readonly counters: Counters;
  /** Trace events. */
  readonly trace: Trace;
  /** Entry kinds the routing table accepts. */
  readonly kinds: RouteKindRegistry = new RouteKindRegistry();
  /** The GSI router (the routing table, or an arch's fixed map). */
  readonly router: GsiRouter;
  /** Per-pin source bitmaps (CORE-3.1). */
  readonly lines: PinLines = new PinLines();
  /** The irqfds and resamplers. */
  readonly irqfds: IrqfdManager;
  private readonly table: RoutingTable | null;
  private readonly chips = new Map<number, IrqChip>();
  private readonly acks = new AckNotifierList();
  private readonly sourceIds = new SourceIdAllocator();
  private readonly c: Readonly<
    Record<
      | 'injections'
      | 'delivered'
      | 'coalesced'
      | 'ignored'
      | 'schedTasks'
      | 'ackNotifications'
      | 'resamplefdSignals'
      | 'fastPathInjections'
      | 'deferredInjections'
      | 'deliveryErrors',
      number
    >
  >;

  /** @param options - see {@link VmOptions}. */
  constructor(options: VmOptions) {
    this.host = options.host;
    this.arch = options.arch;
    this.counters = options.counters ?? new Counters();
    this.trace = options.trace ?? new Trace();
    const ctx = {
      chip: (id: number) => this.chips.get(id),
      lines: this.lines,
      validateIrqchip: options.arch.validateIrqchipEntry?.bind(options.arch),
      msi: options.arch.msi,
      deliveryError: () => this.counters.add(this.c.deliveryErrors),
    };
    this.kinds.add(irqchipKind(ctx));
    this.kinds.add(msiKind(ctx));
    if (options.router !== undefined) {
      this.table = null;
      this.router = options.router;
    } else {
      this.table = new RoutingTable(this.kinds);
      this.router = this.table;
    }
    this.irqfds = new IrqfdManager(this);
    const id = (n: string) => this.counters.id(n);
    this.c = {
      injections: id('injections'),
      delivered: id('delivered'),
      coalesced: id('coalesced'),
      ignored: id('ignored'),
      schedTasks: id('schedTasks'),
      ackNotifications: id('ackNotifications'),
      resamplefdSignals: id('resamplefdSignals'),
      fastPathInjections: id('fastPathInjections'),
      deferredInjections: id('deferredInjections'),
      deliveryErrors: id('deliveryErrors'),
    };
  }

  /** The host's scheduler. */
  get scheduler(): Scheduler {
    return this.host.scheduler;
  }

  // ---- controllers -------------------------------------------------------------------------

  /**
   * Registers an in-kernel controller and allocates its per-pin source bitmaps.
   * @throws IrqError EEXIST if a controller with that id exists.
   */
  addChip(chip: IrqChip): void {
    if (this.chips.has(chip.id))
      throw new IrqError('EEXIST', `interrupt controller ${chip.id} exists`);
    this.chips.set(chip.id, chip);
    this.lines.register(chip.id, chip.pins);
  }

  /** The controller with id `id`, if registered. */
  chip(id: number): IrqChip | undefined {
    return this.chips.get(id);
  }

  /** True if any controller is registered. */
  get hasIrqchip(): boolean {
    return this.chips.size > 0;
  }

  /** Registers an extra routing entry kind (CORE-1.1). */
  addRouteKind<E extends RoutingEntryBase>(kind: RouteKind<E>): void {
    this.kinds.add(kind);
  }

  // ---- routing (§1) ------------------------------------------------------------------------

  /**
   * `KVM_SET_GSI_ROUTING`: validates every entry in order and replaces the whole table, then
   * re-evaluates every active irqfd (CORE-1.2 … 1.10).
   * @throws IrqError EINVAL (first bad entry; nothing changes), ENOTTY (no routing table).
   */
  setGsiRouting(entries: readonly RoutingEntryBase[], flags = 0): void {
    if (this.table === null) {
      throw new IrqError(
        'ENOTTY',
        `${this.arch.name} has no GSI routing table (KVM_SET_GSI_ROUTING)`,
      );
    }
    this.arch.checkSetRouting?.();
    const sched = this.scheduler;
    sched.enter();
    try {
      this.table.replace(entries, flags);
      this.irqfds.refreshRoutes();
      this.arch.afterRoutingUpdate?.();
      if (this.trace.enabled === true)
        this.trace.emit({ type: 'routing', entries: this.table.size });
    } finally {
      sched.exit();
    }
  }

  /** A copy of `gsi`'s entries (CORE-1.12). */
  entriesFor(gsi: number): RoutingEntryBase[] {
    return this.router.entriesFor(gsi);
  }

  /** The GSI `(chip, pin)` maps back to, or −1 (CORE-1.7). */
  gsiFor(chip: number, pin: number): number {
    return this.router.gsiFor(chip, pin);
  }

  // ---- injection (§2) ----------------------------------------------------------------------

  /**
   * `kvm_set_irq`: drives every entry of `gsi` and combines the results (CORE-2.1).
   * Level-0 calls are not injections and are not counted (CORE-0.2).
   * @throws IrqError EINVAL for a source id outside 0..63 (CORE-3.1).
   */
  setIrq(source: number, gsi: number, level: boolean, lineStatus = false): Delivery {
    // CORE-3.1: 64 bits per pin; a larger id would land in the next pin's bitmap.
    if (!(source >= 0 && source < SourceId.Max && Number.isInteger(source))) badSource(source);
    const targets = this.router.targets(gsi);
    let ret = Dlv.Ignored;
    for (let i = 0; i < targets.length; i++) {
      const r = targets[i]!.set(source, level, lineStatus);
      if (r >= 0) ret = r + (ret > 0 ? ret : 0); // combineDelivery, inlined (CORE-2.1)
    }
    if (level === true) this.countResult(ret);
    if (this.trace.enabled === true) this.traceInject(gsi, source, level, ret);
    return ret;
  }

  /**
   * An edge through `route`, the compiled single entry of `gsi` that an irqfd caches
   * (CORE-5.14): what a non-resampling irqfd's deferred injection does (CORE-5.9), with the
   * counts and trace events of `setIrq(source, gsi, true)` then `setIrq(source, gsi, false)`,
   * minus the table lookups. The caller vouches that `route` is `gsi`'s only current entry and
   * that `source` is a valid id.
   * @returns the assertion's Delivery.
   */
  pulseRoute(route: RouteTarget, source: number, gsi: number): Delivery {
    const r = route.set(source, true, false);
    const ret = r >= 0 ? r : Dlv.Ignored; // setIrq's combination for one entry
    this.countResult(ret);
    if (this.trace.enabled === true) this.traceInject(gsi, source, true, ret);
    const low = route.set(source, false, false);
    if (this.trace.enabled === true)
      this.traceInject(gsi, source, false, low >= 0 ? low : Dlv.Ignored);
    return ret;
  }

  /**
   * `KVM_IRQ_LINE(_STATUS)` (CORE-8.1): `setIrq` from the USERSPACE source. A numeric level is
   * mapped by the arch's `irqLineLevel` hook when it has one (else non-zero asserts).
   * @throws IrqError ENXIO without an in-kernel irqchip; EINVAL for a non-u32 gsi or level.
   */
  irqLine(
    line: { gsi: number; level: boolean | number },
    options: { withStatus?: boolean } = {},
  ): {
    status: Delivery;
  } {
    if (this.arch.checkIrqLine !== undefined) this.arch.checkIrqLine();
    else if (!this.hasIrqchip) throw new IrqError('ENXIO', 'no in-kernel interrupt controller');
    checkU32('gsi', line.gsi);
    let level: boolean;
    if (typeof line.level === 'boolean') level = line.level;
    else {
      checkU32('level', line.level);
      const map = this.arch.irqLineLevel;
      level = map === undefined ? line.level !== 0 : map.call(this.arch, line.level);
    }
    const sched = this.scheduler;
    sched.enter();
    try {
      return {
        status: this.setIrq(SourceId.Userspace, line.gsi, level, options.withStatus ?? false),
      };
    } finally {
      sched.exit();
    }
  }

  /**
   * `KVM_SIGNAL_MSI` (CORE-8.2): delivers a transient message with level 1.
   * @returns the Delivery (0 when no vCPU accepted it, −1 when ignored).
   * @throws IrqError EINVAL without MSI support, for flags other than VALID_DEVID, or when the
   * arch rejects the message; ENOTTY on a VM with a fixed router and no MSI sink (the ioctl
   * does not exist there: POWER XICS has no `HAVE_KVM_MSI`, spec/power.md PWR-7.2).
   */
  signalMsi(msg: MsiMessage): Delivery {
    const sink = this.arch.msi;
    if (sink === undefined) {
      if (this.table === null)
        throw new IrqError('ENOTTY', `${this.arch.name} has no KVM_SIGNAL_MSI (no routing table)`);
      throw new IrqError('EINVAL', `${this.arch.name}: no in-kernel MSI support`);
    }
    const flags = msg.flags ?? 0;
    // A u32 first: the bitwise test alone would accept 2^32 + 1 as VALID_DEVID.
    const u32 = Number.isInteger(flags) && flags >= 0 && flags <= 0xffffffff;
    if (!u32 || (flags & ~ROUTE_FLAG_VALID_DEVID) !== 0) {
      throw new IrqError('EINVAL', `MSI flags ${String(flags)} are invalid`);
    }
    checkU32('addressLo', msg.addressLo);
    checkU32('addressHi', msg.addressHi);
    checkU32('data', msg.data);
    if (msg.devid !== undefined) checkU32('devid', msg.devid);
    sink.validateMsi?.(msg);
    const sched = this.scheduler;
    sched.enter();
    try {
      const r = sink.deliverMsi(msg);
      this.countResult(r);
      if (this.trace.enabled === true) {
        this.trace.emit({
          type: 'msi',
          addressLo: msg.addressLo,
          addressHi: msg.addressHi,
          data: msg.data,
          result: r,
        });
      }
      return r;
    } finally {
      sched.exit();
    }
  }

  // ---- source ids (§3) ---------------------------------------------------------------------

  /** The lowest free source id in 2..63 (CORE-3.3). @throws IrqError ENOSPC */
  requestSourceId(): number {
    return this.sourceIds.request();
  }

  /** Reserves a source id permanently (x86: 2 while a PIT exists). */
  reserveSourceId(id: number): void {
    this.sourceIds.reserve(id);
  }

  /**
   * Frees `id` and clears it on every pin of every controller (CORE-3.4) without telling the
   * controllers — unless `redrive`, which then re-drives each pin whose bitmap changed.
   * @throws IrqError EINVAL for ids 0 and 1, reserved ids and ids outside 0..63.
   */
  freeSourceId(id: number, options: { redrive?: boolean } = {}): void {
    this.sourceIds.release(id);
    const changed = this.lines.clearSource(id);
    if (options.redrive !== true) return;
    const sched = this.scheduler;
    sched.enter();
    try {
      for (const [chipId, pin] of changed) {
        this.chips.get(chipId)?.setLevel(pin, this.lines.level(chipId, pin), false);
      }
    } finally {
      sched.exit();
    }
  }

  /** The source ids asserting `(chip, pin)` (CORE-3.1). */
  lineSources(chip: number, pin: number): number[] {
    return this.lines.sources(chip, pin);
  }

  // ---- ack notifiers (§4) ------------------------------------------------------------------

  /** Registers `n` (newest first) and calls the arch hook (CORE-4.1). */
  registerAckNotifier(n: AckNotifier): void {
    this.acks.add(n);
    this.arch.postAckNotifierListUpdate?.();
  }

  /** Unregisters `n` and calls the arch hook (CORE-4.1). */
  unregisterAckNotifier(n: AckNotifier): void {
    this.acks.remove(n);
    this.arch.postAckNotifierListUpdate?.();
  }

  /**
   * A controller reports the guest's acknowledgement of `(chip, pin)`: maps it through the
   * current reverse map and calls the GSI's notifiers (CORE-4.2).
   */
  notifyAcked(chip: number, pin: number): void {
    const gsi = this.router.gsiFor(chip, pin);
    if (gsi < 0) return;
    if (this.trace.enabled === true) this.trace.emit({ type: 'ack', chip, pin, gsi });
    this.notifyAckedGsi(gsi);
  }

  /** {@link Vm.notifyAcked} without the reverse-map lookup. */
  notifyAckedGsi(gsi: number): void {
    this.counters.add(this.c.ackNotifications);
    const sched = this.scheduler;
    sched.enter();
    try {
      this.acks.notify(gsi);
    } finally {
      sched.exit();
    }
  }

  /** True if a notifier listens on `(chip, pin)`'s GSI (CORE-4.4). */
  hasAckNotifier(chip: number, pin: number): boolean {
    const gsi = this.router.gsiFor(chip, pin);
    return gsi >= 0 && this.acks.has(gsi);
  }

  /** True if any ack notifier is registered (POWER's real-mode test, PWR-8.2). */
  get hasAnyAckNotifier(): boolean {
    return this.acks.size > 0;
  }

  /**
   * Asks `(chip, pin)`'s resampler, if any, to signal its resamplefds without de-asserting
   * (CORE-6.8).
   * @returns true if a resampler exists.
   */
  notifyResampler(chip: number, pin: number): boolean {
    const gsi = this.router.gsiFor(chip, pin);
    if (gsi < 0) return false;
    const sched = this.scheduler;
    sched.enter();
    try {
      return this.irqfds.resampleGsi(gsi);
    } finally {
      sched.exit();
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Tears the VM's irqfds down (CORE-5.18). */
  destroy(): void {
    this.irqfds.teardown();
  }

  /** The core's state: the routing table and the per-pin source bitmaps. */
  save(): VmSnapshot {
    return {
      routing: this.table === null ? null : this.table.entries(),
      lines: this.lines.save(),
    };
  }

  /** Restores {@link Vm.save}'s output (controllers must be registered already). */
  restore(snapshot: VmSnapshot): void {
    if (snapshot.routing !== null && this.table !== null) {
      this.table.replace(snapshot.routing);
      this.irqfds.refreshRoutes();
    }
    this.lines.restore(snapshot.lines);
  }

  // ---- accounting used by the plumbing -----------------------------------------------------

  /** Queues `task` on the host scheduler, counting `schedTasks` when newly queued. */
  schedule(task: Task): void {
    if (this.scheduler.schedule(task)) this.counters.add(this.c.schedTasks);
  }

  /** Counts an irqfd fast-path injection and its result. */
  countFastPath(gsi: number, r: Delivery): void {
    this.counters.add(this.c.fastPathInjections);
    this.countResult(r);
    if (this.trace.enabled === true) this.traceIrqfd(gsi, 'fast', r);
  }

  /** Counts a deferred irqfd injection (its `setIrq` counted the result). */
  countDeferred(gsi: number, r: Delivery): void {
    this.counters.add(this.c.deferredInjections);
    if (this.trace.enabled === true) this.traceIrqfd(gsi, 'deferred', r);
  }

  // Event literals live out of line so that the counting paths stay small enough to inline.
  private traceIrqfd(gsi: number, path: 'fast' | 'deferred', result: Delivery): void {
    this.trace.emit({ type: 'irqfd-inject', gsi, path, result });
  }

  private traceInject(gsi: number, source: number, level: boolean, result: Delivery): void {
    this.trace.emit({ type: 'inject', gsi, source, level, result });
  }

  /** Counts one resamplefd signal. */
  countResample(gsi: number): void {
    this.counters.add(this.c.resamplefdSignals);
    if (this.trace.enabled === true) this.trace.emit({ type: 'resample', gsi });
  }

  /** Emits a `diagnostic` trace event. */
  diagnostic(code: string, message: string): void {
    if (this.trace.enabled === true) this.trace.emit({ type: 'diagnostic', code, message });
  }

  /** Emits a `deviation` trace event. */
  deviation(code: string, message: string): void {
    if (this.trace.enabled === true) this.trace.emit({ type: 'deviation', code, message });
  }

  private countResult(r: Delivery): void {
    const c = this.c;
    this.counters.add(c.injections);
    this.counters.add(r > 0 ? c.delivered : r === 0 ? c.coalesced : c.ignored);
  }
}

function badSource(source: number): never {
  throw new IrqError('EINVAL', `irq source id ${source} is out of range 0..63`);
}
