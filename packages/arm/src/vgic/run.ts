import type { VcpuRunState } from '@irqkit/core';
import { isPending } from '../gic/irq.js';
import { vpeLoad, vpePut } from '../v4/direct.js';
import { flush } from './flush.js';
import { entryMisr } from './maintenance.js';
import { sync } from './sync.js';
import type { VgicCpu } from './vcpu.js';
import type { Vgic } from './vgic.js';

/**
 * Guest entry (`kvm_vgic_flush_hwstate`): load the list registers. Nothing happens while the
 * vCPU is halted by a halt-all (ARM-2.7) or already in the guest.
 */
export function enterGuest(gic: Vgic, v: VgicCpu): void {
  if (v.inGuest === true || v.halted > 0 || v.runState !== 'guest') return;
  v.irqPending = false;
  flush(gic, v);
  v.misr = entryMisr(v);
  v.inGuest = true;
}

/** Guest exit (`kvm_vgic_sync_hwstate`): fold the list registers back, prune the ap_list. */
export function leaveGuest(gic: Vgic, v: VgicCpu): void {
  if (v.inGuest !== true) return;
  v.inGuest = false;
  sync(gic, v);
}

/** A forced exit (kick, maintenance) immediately followed by re-entry; counts `counter`. */
export function bounce(gic: Vgic, v: VgicCpu, counter: number): void {
  if (v.inGuest !== true) return;
  v.counters.add(counter);
  if (gic.trace.enabled === true) traceExit(gic, v, counter);
  v.inGuest = false;
  sync(gic, v);
  enterGuest(gic, v);
}

/**
 * Starts a trapped guest access (MMIO, system register): counts the exit and folds the LRs.
 * @returns true if the vCPU was in the guest (pass it to {@link endTrap}).
 */
export function beginTrap(gic: Vgic, v: VgicCpu, counter: number): boolean {
  if (v.inGuest !== true) return false;
  v.counters.add(counter);
  if (gic.trace.enabled === true) traceExit(gic, v, counter);
  leaveGuest(gic, v);
  return true;
}

/** Ends a trapped access: the vCPU re-enters the guest. */
export function endTrap(gic: Vgic, v: VgicCpu, trapped: boolean): void {
  if (trapped) enterGuest(gic, v);
}

/**
 * `kvm_arm_halt_guest` (ARM-2.7, bypass stop): every vCPU in the guest takes a forced exit
 * (counted as a kick) and stays out until {@link resumeAll}.
 */
export function haltAll(gic: Vgic): void {
  const all = gic.vcpus;
  for (let i = 0; i < all.length; i++) {
    const v = all[i]!;
    if (v.inGuest === true) {
      v.count(v.c['exits.kick']);
      traceExit(gic, v, v.c['exits.kick']);
      leaveGuest(gic, v);
    }
    v.halted++;
  }
}

/** `kvm_arm_resume_guest`: halted vCPUs that should run re-enter. */
export function resumeAll(gic: Vgic): void {
  const all = gic.vcpus;
  for (let i = 0; i < all.length; i++) {
    const v = all[i]!;
    if (v.halted > 0) v.halted--;
    enterGuest(gic, v);
  }
}

/** The guest executes on `v` (a guest verb on a vCPU that is not running implies it runs). */
export function ensureRunning(gic: Vgic, v: VgicCpu): void {
  if (v.runState !== 'guest') setRunState(gic, v, 'guest');
}

/** Wakes a vCPU blocked in WFI: it becomes runnable and re-enters (one `wakeups`). */
export function wake(gic: Vgic, v: VgicCpu): void {
  if (v.runState !== 'blocked') return;
  v.count(v.c.wakeups);
  if (gic.trace.enabled === true) gic.trace.emit({ type: 'arm.wakeup', vcpu: v.id });
  setRunState(gic, v, 'guest');
}

/**
 * Moves `v` to `state` (Machine.setRunState): guest = running, host = exited to the host,
 * preempted = descheduled, blocked = waiting in WFI. Leaving the guest folds the LRs; the
 * vPE is resident in the first two states and requests a doorbell only when blocking
 * (ARM-6.2). A vCPU with a deliverable interrupt does not block (`kvm_vcpu_check_block`).
 */
export function setRunState(gic: Vgic, v: VgicCpu, state: VcpuRunState): void {
  const prev = v.runState;
  if (prev === state) return;
  if (prev === 'guest' && v.inGuest === true) {
    const c =
      state === 'blocked'
        ? v.c['exits.wfi']
        : state === 'host'
          ? v.c['exits.userspace']
          : v.c['exits.preempt'];
    v.count(c);
    traceExit(gic, v, c);
    leaveGuest(gic, v);
  }
  v.runState = state;
  if (state === 'guest' || state === 'host') vpeLoad(gic, v);
  else vpePut(gic, v, state === 'blocked');
  if (state === 'blocked' && vcpuPendingIrq(gic, v)) {
    v.runState = 'guest';
    vpeLoad(gic, v);
  }
  if (v.runState === 'guest') enterGuest(gic, v);
}

/**
 * `kvm_vgic_vcpu_pending_irq`: a doorbell arrived, or an ap_list IRQ is enabled, pending and
 * not masked by the saved PMR, or a direct vLPI/vSGI is pending in the vPE.
 */
export function vcpuPendingIrq(gic: Vgic, v: VgicCpu): boolean {
  if (gic.enabled !== true) return false;
  if (v.vpe.pendingLast === true) return true;
  const list = v.apList;
  for (let i = 0; i < v.apLen; i++) {
    const irq = list[i]!;
    if (irq.enabled === true && isPending(irq) && irq.priority < v.pmr) return true;
  }
  const direct = v.vpe.pending;
  for (let i = 0; i < v.vpe.pendingCount; i++) {
    const irq = direct[i]!;
    if (irq.enabled === true && irq.priority < v.pmr) return true;
  }
  return false;
}

function traceExit(gic: Vgic, v: VgicCpu, counter: number): void {
  if (gic.trace.enabled !== true) return;
  const names = v.c;
  let reason = 'other';
  for (const k of Object.keys(names) as Array<keyof typeof names>) {
    if (names[k] === counter) reason = k.startsWith('exits.') ? k.slice(6) : k;
  }
  gic.trace.emit({ type: 'exit', vcpu: v.id, reason });
}
