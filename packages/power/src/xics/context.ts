import type { Counters, Scheduler, Trace, Vm } from '@irqkit/core';
import type { PowerExitLevel, PowerExitReason, PowerWarnCode } from '../events.js';
import { RM_KICK_VCPU, RM_NOTIFY_EOI } from './constants.js';

// XicsContext.op: (caller + 1) << 2 | OP_EXITED | OP_REAL_MODE.
const enum Op {
  OP_REAL_MODE = 1,
  OP_EXITED = 2,
}

/** Counter ids of one vCPU's set (resolved once; the hot paths only add). */
class VcpuCounterIds {
  readonly realmode: number;
  readonly exitHcall: number;
  readonly exitRtas: number;
  readonly exitKick: number;
  readonly exitNotifyEoi: number;
  readonly exitUser: number;
  readonly rtas: number;
  readonly kicks: number;
  readonly kicksSelf: number;
  readonly kicksDirect: number;
  readonly kicksRedirected: number;
  readonly kicksDeferred: number;

  constructor(c: Counters) {
    this.realmode = c.id('hcalls.realmode');
    this.exitHcall = c.id('exits.hcall');
    this.exitRtas = c.id('exits.rtas');
    this.exitKick = c.id('exits.kick');
    this.exitNotifyEoi = c.id('exits.notify-eoi');
    this.exitUser = c.id('exits.user');
    this.rtas = c.id('rtas');
    this.kicks = c.id('kicks');
    this.kicksSelf = c.id('kicks.self');
    this.kicksDirect = c.id('kicks.direct');
    this.kicksRedirected = c.id('kicks.redirected');
    this.kicksDeferred = c.id('kicks.deferred');
  }
}

/**
 * Who is executing the current XICS operation and in which mode, and everything the XICS
 * logic tells the outside world: EE line changes, kicks, warnings, acks and exits
 * (spec/power.md PWR-0.4), with the real-mode bookkeeping of §8 (`rmAction`, deferred kicks
 * and EOI notifications). Counting and tracing happen here so {@link Xics} stays pure logic.
 */
export class XicsContext {
  /** Actions real mode left for virtual mode (`RM_*` bits). */
  rmAction = 0;
  /** The irq whose ack real mode deferred (`rm_eoied_irq`). */
  rmEoiedIrq = 0;
  /** Real mode may borrow an idle host core to wake a non-running vCPU (`h_ipi_redirect`). */
  hostRedirect: boolean;
  /** The vCPUs' external-interrupt lines (the pending `EXTERNAL` exception). */
  readonly ee: Uint8Array;
  /** 1 while the vCPU runs on a hardware thread (run state `guest`). */
  readonly running: Uint8Array;
  private readonly kickList: Int32Array;
  private readonly kickQueued: Uint8Array;
  private kickCount = 0;
  private readonly ids: VcpuCounterIds[];
  private readonly vcpuCounters: readonly Counters[];
  private readonly trace: Trace;
  // The host's scheduler (fixed for the host's life), so a bracket is one call, not two getters.
  private readonly scheduler: Scheduler;
  private readonly cWarnings: number;
  // Who runs the current operation and how, in one word (see OP_*), so that putting back the
  // operation a nested one interrupted is one store: host context, virtual mode, no exit.
  private op = 0;

  /**
   * @param vm - the VM (trace, ack notifiers).
   * @param vcpuCounters - one counter set per vCPU (adding into the machine's).
   * @param hostRedirect - initial `h_ipi_redirect`.
   */
  constructor(
    private readonly vm: Vm,
    vcpuCounters: readonly Counters[],
    hostRedirect: boolean,
  ) {
    const n = vcpuCounters.length;
    this.vcpuCounters = vcpuCounters;
    this.ids = vcpuCounters.map((c) => new VcpuCounterIds(c));
    this.hostRedirect = hostRedirect;
    this.ee = new Uint8Array(n);
    this.running = new Uint8Array(n).fill(1);
    this.kickList = new Int32Array(n);
    this.kickQueued = new Uint8Array(n);
    this.trace = vm.trace;
    this.scheduler = vm.scheduler;
    this.cWarnings = vm.counters.id('xics.warnings');
  }

  /** vCPU executing the operation, or −1 for host context (ioctls, irqfds, `kvm_set_irq`). */
  get caller(): number {
    return (this.op >> 2) - 1;
  }

  /** True while running an HV real-mode hcall (or real-mode passthrough). */
  get realMode(): boolean {
    return (this.op & Op.OP_REAL_MODE) !== 0;
  }

  /** True once the current hcall left guest context for the host kernel. */
  get exited(): boolean {
    return (this.op & Op.OP_EXITED) !== 0;
  }

  /**
   * Begins one model operation (scheduler bracket included) run by `caller` (−1: host context)
   * in real or virtual mode; `exited` carries on into it and out of it. An operation may start
   * from inside another (a resamplefd listener injecting from inside an H_EOI's ack).
   * @returns the interrupted operation's context, for {@link XicsContext.end}.
   */
  begin(caller: number, realMode: boolean): number {
    const saved = this.op;
    this.op =
      ((caller + 1) << 2) | (realMode === true ? Op.OP_REAL_MODE : 0) | (saved & Op.OP_EXITED);
    this.scheduler.enter();
    return saved;
  }

  /** Ends the operation {@link XicsContext.begin} started, putting back `saved`. */
  end(saved: number): void {
    this.op = (saved & ~Op.OP_EXITED) | (this.op & Op.OP_EXITED);
    this.scheduler.exit();
  }

  /**
   * {@link XicsContext.begin} for an hcall of `vcpu`: it starts with `exited` clear, and the
   * interrupted operation gets its own back at the end.
   * @returns the interrupted operation's context, for {@link XicsContext.finishHcall}.
   */
  beginHcall(vcpu: number, realMode: boolean): number {
    const saved = this.op;
    this.op = ((vcpu + 1) << 2) | (realMode === true ? Op.OP_REAL_MODE : 0);
    this.scheduler.enter();
    return saved;
  }

  /**
   * Ends the hcall {@link XicsContext.beginHcall} started: a real-mode one finishes as
   * {@link XicsContext.finishRealMode} says, then `saved` is put back and the scheduler
   * bracket closed, even when finishing throws.
   * @returns true when the hcall exited to the host kernel (handled in virtual mode).
   */
  finishHcall(vcpu: number, saved: number): boolean {
    const op = this.op;
    if ((op & Op.OP_REAL_MODE) !== 0) {
      if (this.rmAction !== 0) return this.finishHcallActions(vcpu, saved);
      this.vcpuCounters[vcpu]!.add(this.ids[vcpu]!.realmode, 1); // PWR-8.2: done in real mode
    }
    this.op = saved;
    this.scheduler.exit();
    return (op & Op.OP_EXITED) !== 0;
  }

  // finishHcall when real mode left actions: they run user code (ack notifiers, trace
  // subscribers), so the hcall is ended even if one throws.
  private finishHcallActions(vcpu: number, saved: number): boolean {
    try {
      this.runRealModeActions(vcpu, this.rmAction);
      return (this.op & Op.OP_EXITED) !== 0;
    } finally {
      this.op = saved;
      this.scheduler.exit();
    }
  }

  /** PWR-3.3: a commit computed `outEe = 1` for `vcpu` (emitted every time). */
  eeRaise(vcpu: number): void {
    this.ee[vcpu] = 1;
    if (this.trace.enabled === true) this.emitEe('power.eeRaise', vcpu);
  }

  /** PWR-3.4: H_XIRR, H_CPPR (more favoured) or setIcp lowers the line first. */
  eeLower(vcpu: number): void {
    this.ee[vcpu] = 0;
    if (this.trace.enabled === true) this.emitEe('power.eeLower', vcpu);
  }

  /**
   * A non-self commit made `outEe = 1` on `target` (PWR-3.3). In real mode a non-running
   * target that no borrowed host core can wake is left to virtual mode (`KICK_VCPU`, PWR-8.2);
   * every target is recorded (KVM keeps only the last, PWR-14.7).
   */
  kick(target: number): void {
    const op = this.op;
    if ((op & Op.OP_REAL_MODE) === 0 && target !== (op >> 2) - 1) {
      // virtual mode or host context (irqfds, ioctls) kicking another vCPU: the common case
      this.vcpuCounters[target]!.add(this.ids[target]!.kicks, 1);
      if (this.trace.enabled === true) this.emitKick(target, false);
      return;
    }
    this.kickSelfOrRealMode(target, op);
  }

  private kickSelfOrRealMode(target: number, op: number): void {
    const ids = this.ids[target]!;
    const c = this.vcpuCounters[target]!;
    if (target === (op >> 2) - 1) {
      c.add(ids.kicksSelf);
      this.emitKick(target, true);
      return;
    }
    if ((op & Op.OP_REAL_MODE) !== 0) {
      if (this.running[target] === 1) c.add(ids.kicksDirect);
      else if (this.hostRedirect === true) c.add(ids.kicksRedirected);
      else {
        c.add(ids.kicksDeferred);
        this.rmAction |= RM_KICK_VCPU;
        if (this.kickQueued[target] === 0) {
          this.kickQueued[target] = 1;
          this.kickList[this.kickCount++] = target;
        }
        return;
      }
    }
    c.add(ids.kicks);
    this.emitKick(target, false);
  }

  /** A delivery put `token` into the XISR of `vcpu`'s ICP (core `deliver` event). */
  presented(vcpu: number, token: number): void {
    if (this.trace.enabled === true) this.emitToken('deliver', vcpu, token);
  }

  /** H_XIRR accepted `token` on `vcpu` (core `take` event). */
  accepted(vcpu: number, token: number): void {
    if (this.trace.enabled === true) this.emitToken('take', vcpu, token);
  }

  /** H_EOI of `token` on `vcpu` (core `eoi` event). */
  eoied(vcpu: number, token: number): void {
    if (this.trace.enabled === true) this.emitToken('eoi', vcpu, token);
  }

  /** KVM's `pr_warn` / `WARN_ON` and the model's range warning (PWR-4.5, 5.3, 14.2). */
  warn(code: PowerWarnCode, irq: number, value: number = irq): void {
    this.vm.counters.add(this.cWarnings);
    const trace = this.trace;
    if (trace.enabled === true) trace.emit({ type: 'power.warn', code, irq, value });
  }

  /**
   * PWR-5.6 step 6 / PWR-7.7: the guest EOIed `irq` (its ICS exists). Real mode defers the
   * notification to virtual mode when the VM has any ack notifier and skips it otherwise
   * (PWR-8.2); the `ack` event is emitted when the EOI reaches the notifier stage either way.
   */
  ack(irq: number): void {
    if ((this.op & Op.OP_REAL_MODE) !== 0) {
      if (this.vm.hasAnyAckNotifier === true) {
        this.rmAction |= RM_NOTIFY_EOI;
        this.rmEoiedIrq = irq;
        return;
      }
      this.emitAck(irq);
      return;
    }
    this.emitAck(irq);
    this.vm.notifyAckedGsi(irq);
  }

  /** The calling vCPU leaves guest context (PWR-0.4), counted by reason. */
  exit(vcpu: number, level: PowerExitLevel, reason: PowerExitReason): void {
    const ids = this.ids[vcpu]!;
    const c = this.vcpuCounters[vcpu]!;
    if (level === 'user') c.add(ids.exitUser);
    else {
      this.op |= Op.OP_EXITED;
      c.add(
        reason === 'hcall'
          ? ids.exitHcall
          : reason === 'rtas'
            ? ids.exitRtas
            : reason === 'kick'
              ? ids.exitKick
              : ids.exitNotifyEoi,
      );
    }
    const trace = this.trace;
    if (trace.enabled === true) trace.emit({ type: 'power.exit', vcpu, level, reason });
  }

  /** {@link XicsContext.exit} `(vcpu, 'vm', 'hcall')`, the one every virtual-mode hcall takes. */
  exitHcall(vcpu: number): void {
    this.op |= Op.OP_EXITED;
    this.vcpuCounters[vcpu]!.add(this.ids[vcpu]!.exitHcall, 1);
    if (this.trace.enabled === true)
      this.trace.emit({ type: 'power.exit', vcpu, level: 'vm', reason: 'hcall' });
  }

  /** Counts one RTAS call handled in the kernel by `vcpu`. */
  countRtas(vcpu: number): void {
    this.vcpuCounters[vcpu]!.add(this.ids[vcpu]!.rtas);
  }

  /**
   * End of a real-mode operation of `vcpu` (PWR-8.2): with no actions it completed in real
   * mode (counted in `hcalls.realmode` when `hcall`); otherwise one exit to the host kernel,
   * then virtual mode performs the recorded kicks and the deferred ack, and clears `rmAction`.
   */
  finishRealMode(vcpu: number, hcall: boolean): void {
    const actions = this.rmAction;
    if (actions === 0) {
      if (hcall === true) this.vcpuCounters[vcpu]!.add(this.ids[vcpu]!.realmode, 1);
      return;
    }
    this.runRealModeActions(vcpu, actions);
  }

  // The exit and the virtual-mode work of PWR-8.2 (kept out of the common path above).
  private runRealModeActions(vcpu: number, actions: number): void {
    this.exit(vcpu, 'vm', (actions & RM_KICK_VCPU) !== 0 ? 'kick' : 'notify-eoi');
    this.op &= ~Op.OP_REAL_MODE;
    this.rmAction = 0;
    if ((actions & RM_KICK_VCPU) !== 0) {
      const n = this.kickCount;
      this.kickCount = 0;
      for (let i = 0; i < n; i++) {
        const t = this.kickList[i]!;
        this.kickQueued[t] = 0;
        this.vcpuCounters[t]!.add(this.ids[t]!.kicks);
        this.emitKick(t, false);
      }
    }
    if ((actions & RM_NOTIFY_EOI) !== 0) {
      this.emitAck(this.rmEoiedIrq);
      this.vm.notifyAckedGsi(this.rmEoiedIrq);
    }
  }

  private emitEe(type: 'power.eeRaise' | 'power.eeLower', vcpu: number): void {
    this.trace.emit({ type, vcpu });
  }

  private emitToken(type: 'deliver' | 'take' | 'eoi', vcpu: number, token: number): void {
    this.trace.emit({ type, vcpu, token });
  }

  private emitKick(vcpu: number, self: boolean): void {
    const trace = this.trace;
    if (trace.enabled === true) trace.emit({ type: 'power.kick', vcpu, self });
  }

  private emitAck(irq: number): void {
    const trace = this.trace;
    if (trace.enabled === true) trace.emit({ type: 'ack', chip: 0, pin: irq, gsi: irq });
  }
}
