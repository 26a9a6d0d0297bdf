import { Counters, IrqError, type Trace, type VcpuRunState } from '@irqkit/core';
import { DeliveryMode, POSTED_INTR_VECTOR, POSTED_INTR_WAKEUP_VECTOR } from './apic/message.js';
import { X86CounterIds } from './counters.js';
import { Lapic } from './lapic/lapic.js';
import type { Platform } from './platform.js';
import { PostedInterruptDescriptor } from './posted/pid.js';

/** Multiprocessor state as INIT/SIPI change it (X86-4.7). */
export type MpState = 'runnable' | 'wait-for-sipi';

/**
 * One vCPU as the interrupt path sees it: its local APIC, its posted-interrupt descriptor,
 * where it runs ({@link VcpuRunState}: `'guest'` = inGuest, `'host'` = inHost, `'preempted'`,
 * `'blocked'`), and its counters. Acceptance (X86-4.3), software posting (X86-6.2), kicks
 * (X86-6.3), IOMMU posting (X86-6.6), take (X86-4.4) and the LAPIC half of EOI (X86-4.12).
 */
export class Vcpu {
  /** The local APIC. */
  readonly lapic: Lapic;
  /** The posted-interrupt descriptor. */
  readonly pid: PostedInterruptDescriptor;
  /** Per-vCPU counters (they add into the machine's). */
  readonly counters: Counters;
  /** Counter slot ids in {@link Vcpu.counters}. */
  readonly ids: X86CounterIds;
  /** Where the vCPU is. */
  state: VcpuRunState = 'guest';
  /** True while KVM handles an exit of this vCPU (it is in host mode for that moment). */
  inExit = false;
  /** The guest can take interrupts now (RFLAGS.IF = 1 and no interrupt shadow). */
  interruptible = true;
  /** An interrupt-window exit is armed (no APICv, interrupt pending, not interruptible). */
  irqWindowRequested = false;
  /** On its pCPU's posted-interrupt wakeup list (X86-6.4). */
  onWakeupList = false;
  /** Pending NMIs. */
  nmiPending = 0;
  /** A pending SMI. */
  smiPending = false;
  /** KVM's `pv_unhalted` (delivery mode 011). */
  pvUnhalted = false;
  /** INIT/SIPI state. */
  mpState: MpState = 'runnable';
  /** Start address after the last SIPI (vector << 12), or −1. */
  startIp = -1;
  /** The host CPU this vCPU runs on (NDST). */
  readonly pcpu: number;
  /** Fixed / lowest-priority messages this LAPIC accepted (a plain count, off the counters). */
  acceptCount = 0;
  /** ExtINT acknowledges the guest has not completed yet: `[vector, irq]` pairs, oldest first. */
  picTaken: number[] = [];
  /** Every guest EOI write traps (`exits.eoi`): an in-kernel LAPIC without APICv. */
  readonly eoiTraps: boolean;
  private readonly trace: Trace;
  private readonly apicv: boolean;
  private readonly userspaceApic: boolean;

  /**
   * @param index - vCPU index = vcpuId = x2APIC ID.
   * @param platform - the machine internals.
   * @param machineCounters - the machine's counters (parent of this vCPU's).
   */
  constructor(
    readonly index: number,
    private readonly platform: Platform,
    machineCounters: Counters,
  ) {
    const o = platform.opts;
    this.lapic = new Lapic(index, o.irqchip === 'split' && o.guestX2apicCpuid);
    this.pcpu = index;
    this.pid = new PostedInterruptDescriptor(this.pcpu);
    this.counters = new Counters(machineCounters);
    this.ids = new X86CounterIds(this.counters);
    this.trace = platform.trace;
    this.apicv = o.apicv;
    this.userspaceApic = o.irqchip === 'none';
    this.eoiTraps = !o.apicv && o.irqchip !== 'none';
  }

  /** In VMX non-root mode right now: running the guest and not handling an exit. */
  get inGuestMode(): boolean {
    return this.state === 'guest' && this.inExit !== true;
  }

  // ---- acceptance (X86-4.3) ------------------------------------------------------------------

  /**
   * `__apic_accept_irq`: offers one message to this APIC.
   * @returns 1 if the APIC took it, else 0 (coalescing is never reported, X86-4.3).
   */
  accept(mode: number, vector: number, level: number, trigger: number): number {
    // Cheap range check (mode 0..7, vector 0..255, level/trigger 0..1); the bus never trips it.
    if (((mode >>> 3) | (vector >>> 8) | (level >>> 1) | (trigger >>> 1)) !== 0)
      badMessage(mode, vector, level, trigger);
    if (mode === DeliveryMode.Fixed) return this.acceptFixed(vector, level, trigger);
    if (mode === DeliveryMode.Lowest) {
      this.lapic.arbPrio++; // X86-4.10: counted before the checks, even if dropped
      return this.acceptFixed(vector, level, trigger);
    }
    return this.acceptOther(mode, vector, level, trigger);
  }

  private acceptFixed(vector: number, level: number, trigger: number): number {
    if (trigger !== 0 && level === 0) return 0; // a level de-assert message
    const lapic = this.lapic;
    if (!lapic.enabled) return 0;
    // The RTC's EOI tracking, an illegal vector and tracing are rare: one test, out of line.
    if (this.platform.rtc !== null || vector < 16 || this.trace.enabled === true)
      this.noteAccept(vector);
    // X86-4.5: TMR follows the trigger of the latest accepted message with this vector
    // (word operations: `accept` has range-checked the vector).
    const w = vector >>> 5;
    const bit = 1 << (vector & 31);
    const tmr = lapic.tmr.words;
    tmr[w] = trigger !== 0 ? tmr[w]! | bit : tmr[w]! & ~bit;
    this.acceptCount++;
    if (this.apicv === true) this.postSoftware(vector);
    else {
      const irr = lapic.irr.words;
      irr[w] = irr[w]! | bit;
      this.kick();
    }
    return 1;
  }

  private noteAccept(vector: number): void {
    const rtc = this.platform.rtc;
    if (rtc !== null) rtc.record(this.index, vector);
    if (vector < 16) this.counters.add(this.ids.illegalVectors); // X86-4.6: no error raised
    if (this.trace.enabled === true) this.traceToken('deliver', vector);
  }

  // Out of line: keeps the object literal out of the hot functions' bytecode (V8 inlines by size).
  private traceToken(type: 'deliver' | 'take' | 'eoi', token: number): void {
    this.trace.emit({ type, vcpu: this.index, token });
  }

  // SMI, remote read, NMI, INIT, SIPI and ExtINT (X86-4.3 table).
  private acceptOther(mode: number, vector: number, level: number, trigger: number): number {
    switch (mode) {
      case DeliveryMode.RemoteRead:
        this.pvUnhalted = true;
        this.kick();
        return 1;
      case DeliveryMode.Smi:
        if (!this.platform.opts.smm) return 0;
        this.smiPending = true;
        this.kick();
        return 1;
      case DeliveryMode.Nmi:
        this.nmiPending++;
        this.kick();
        return 1;
      case DeliveryMode.Init:
        if (trigger !== 0 && level === 0) return 0; // INIT level de-assert
        this.kick();
        this.processInit();
        return 1;
      case DeliveryMode.Startup:
        this.kick();
        this.processSipi(vector);
        return 1;
      default:
        return 0; // ExtINT: PIC interrupts arrive through LVT0, not as messages
    }
  }

  // X86-4.7: INIT resets the APIC (ID and base kept) and parks an AP in wait-for-SIPI.
  private processInit(): void {
    this.lapic.reset();
    this.lapic.arbPrio = 0;
    this.pid.pir.clearAll();
    this.pid.on = false;
    this.nmiPending = 0;
    this.smiPending = false;
    this.mpState = this.index === 0 ? 'runnable' : 'wait-for-sipi';
    this.platform.apicChanged();
  }

  private processSipi(vector: number): void {
    if (this.mpState !== 'wait-for-sipi') return; // dropped (X86-4.7)
    this.startIp = vector << 12;
    this.mpState = 'runnable';
  }

  // ---- getting the vCPU's attention (X86-6.2, 6.3) ------------------------------------------

  /**
   * `kvm_vcpu_kick` after an IRR update: a vCPU in guest mode takes a host IPI and exits
   * (`exits.kick`); a blocked one is woken; one in the host needs nothing.
   */
  kick(): void {
    if (this.state === 'guest' && this.inExit !== true) {
      this.counters.add(this.ids.kick);
      if (this.trace.enabled === true) this.traceExit('kick');
      if (this.userspaceApic === true) this.userspaceInject();
      if (this.interruptible !== true) this.irqWindowRequested = true;
    } else if (this.state === 'blocked') {
      this.wake();
    }
  }

  // P1: without an in-kernel LAPIC the VMM signalled the vCPU thread to inject (KVM_INTERRUPT).
  private userspaceInject(): void {
    this.counters.add(this.ids.userspaceIntr);
    if (this.trace.enabled === true) {
      this.trace.emit({ type: 'x86.userspace-exit', vcpu: this.index, reason: 'intr', vector: -1 });
    }
  }

  /**
   * Software posting with APICv (X86-6.2): PIR, then ON, then a notification to a vCPU in
   * guest mode (processed without an exit, X86-6.1), a wakeup for a blocked one, or nothing.
   */
  private postSoftware(vector: number): void {
    const pid = this.pid;
    if (!pid.pir.set(vector)) return; // already posted: coalesced
    this.counters.add(this.ids.posted);
    if (pid.on) return; // a notification is already pending
    pid.on = true;
    let what: 'none' | 'guest' | 'wakeup' = 'none';
    if (this.state === 'guest' && this.inExit !== true && this !== this.platform.current) {
      this.processNotification();
      what = 'guest';
    } else if (this.state === 'blocked') {
      this.wake();
      what = 'wakeup';
    }
    const t = this.platform.trace;
    if (t.enabled === true) {
      t.emit({ type: 'x86.post', vcpu: this.index, vector, by: 'software', notification: what });
    }
  }

  /**
   * A posting by hardware (IOMMU posted IRTE, X86-6.6, or IPI virtualization): set PIR; if ON
   * is clear and SN is clear, set ON and send the notification vector NV to NDST.
   */
  postHardware(vector: number, by: 'iommu' | 'ipiv'): void {
    const pid = this.pid;
    pid.pir.set(vector);
    this.counters.add(this.ids.posted);
    let what: 'none' | 'guest' | 'host' | 'wakeup' | 'suppressed' = 'none';
    if (!pid.on && !pid.sn) {
      pid.on = true;
      what = this.notify(pid.nv);
    } else if (pid.sn) {
      what = 'suppressed';
    }
    const t = this.platform.trace;
    if (t.enabled === true)
      t.emit({ type: 'x86.post', vcpu: this.index, vector, by, notification: what });
  }

  // The notification vector arrives at this vCPU's pCPU (X86-6.1, §6.3 table).
  private notify(nv: number): 'guest' | 'host' | 'wakeup' {
    if (nv === POSTED_INTR_VECTOR && this.state === 'guest' && this.inExit !== true) {
      this.processNotification();
      return 'guest';
    }
    // The pCPU is in the host: the notification is a host interrupt.
    this.counters.add(this.ids.hostIrqs);
    this.platform.host.counters.bump('hostIrqs');
    if (nv === POSTED_INTR_WAKEUP_VECTOR) {
      this.platform.wakeupHandler(this.pcpu);
      return 'wakeup';
    }
    return 'host';
  }

  // X86-6.1: hardware clears ON and ORs PIR into the virtual IRR, without a VM exit.
  private processNotification(): void {
    this.counters.add(this.ids.notifications);
    this.syncPir();
  }

  // Before a take: a posted vCPU moves what its PIR holds into IRR.
  private syncPosted(): void {
    if (this.pid.on || !this.pid.pir.isEmpty()) this.syncPir();
  }

  /** Moves PIR into IRR and clears ON (`vmx_sync_pir_to_irr`). */
  syncPir(): void {
    const pid = this.pid;
    pid.on = false;
    const pir = pid.pir.words;
    const irr = this.lapic.irr.words;
    for (let i = 0; i < 8; i++) {
      const w = pir[i]!;
      if (w !== 0) {
        irr[i] = irr[i]! | w;
        pir[i] = 0;
      }
    }
  }

  /** A blocked vCPU becomes runnable (`wakeups`); it is loaded on its pCPU again. */
  wake(): void {
    this.counters.add(this.ids.wakeups);
    this.setState('host');
  }

  // ---- run state (X86-6.3, 6.4) ---------------------------------------------------------------

  /** Moves the vCPU to `next`, doing KVM's load / put / block / entry work. */
  setState(next: VcpuRunState): void {
    const prev = this.state;
    if (prev === next) return;
    const p = this.platform;
    if (prev === 'blocked' || prev === 'preempted') this.load();
    this.state = next;
    if (p.trace.enabled === true)
      p.trace.emit({ type: 'x86.runstate', vcpu: this.index, from: prev, to: next });
    if (next === 'guest') this.enterGuest();
    else if (next === 'preempted') this.put();
    else if (next === 'blocked') this.block();
  }

  /**
   * KVM_REQ_UNBLOCK on a blocked vCPU (X86-6.5): it leaves its halt loop and, with nothing
   * pending, blocks again — arming the wakeup vector if posting is now armed.
   */
  reblock(): void {
    if (this.state !== 'blocked') return;
    const t = this.platform.trace;
    if (t.enabled === true) t.emit({ type: 'x86.unblock', vcpu: this.index });
    this.load();
    this.block();
  }

  // vmx_vcpu_pi_load: NV back to 0xF2, SN clear, NDST current, off the wakeup list; a PIR
  // that filled while SN was set gets ON so the next entry syncs it.
  private load(): void {
    const pid = this.pid;
    pid.nv = POSTED_INTR_VECTOR;
    pid.sn = false;
    pid.ndst = this.pcpu;
    this.onWakeupList = false;
    if (!pid.pir.isEmpty()) pid.on = true;
  }

  // vmx_vcpu_pi_put when preempted: suppress notifications (X86-6.3a: only when armed).
  private put(): void {
    if (this.platform.postingArmed) this.pid.sn = true;
  }

  // pi_enable_wakeup_handler (X86-6.4): arm the wakeup vector; if ON is already set, raise
  // the wakeup interrupt on ourselves so the wakeup is not lost.
  private block(): void {
    if (!this.platform.postingArmed) return;
    const pid = this.pid;
    pid.nv = POSTED_INTR_WAKEUP_VECTOR;
    pid.sn = false;
    this.onWakeupList = true;
    if (pid.on) this.notify(POSTED_INTR_WAKEUP_VECTOR);
  }

  // VM entry: APICv syncs PIR into the vIRR; without APICv an undeliverable-now interrupt
  // arms the interrupt window.
  // (Every EOI re-enters: the test for "something to do" is kept small enough to be inlined
  // there, the work itself is out of line.)
  private enterGuest(): void {
    if (this.apicv === true ? this.pid.on === true : this.interruptible !== true) this.entryWork();
  }

  private entryWork(): void {
    if (this.apicv === true) this.syncPir();
    else if (this.lapic.deliverable() >= 0) this.irqWindowRequested = true;
  }

  /** Begins handling an exit: the vCPU is in the host until {@link Vcpu.endExit}. */
  beginExit(): boolean {
    const was = this.inExit;
    this.inExit = true;
    return was;
  }

  /** Ends an exit; a vCPU in `'guest'` re-enters (APICv: PIR is synced). */
  endExit(was: boolean): void {
    this.inExit = was;
    if (was !== true && this.state === 'guest') this.enterGuest();
  }

  /** Counts one exit of `id` (a slot of {@link Vcpu.counters}) and traces it. */
  exit(id: number, reason: string): void {
    this.counters.add(id);
    if (this.trace.enabled === true) this.traceExit(reason);
  }

  /** Traces an exit that the caller has counted (hot paths count inline: one call less). */
  traceExit(reason: string): void {
    this.trace.emit({ type: 'exit', vcpu: this.index, reason });
  }

  /** The guest changes its interruptibility; an armed window exits once when it opens. */
  setInterruptible(on: boolean): void {
    this.interruptible = on;
    if (!on || !this.irqWindowRequested) return;
    this.irqWindowRequested = false;
    if (this.state !== 'guest') return;
    this.exit(this.ids.irqWindow, 'irq-window');
    if (this.platform.opts.irqchip === 'none') {
      this.counters.add(this.ids.userspaceIrqWindowOpen);
    }
  }

  // ---- the guest's side (X86-4.4, 4.12) -------------------------------------------------------

  /**
   * Acknowledges the highest deliverable vector (X86-4.4): IRR → ISR, PPR recomputed. A posted
   * vCPU syncs PIR first.
   * @returns the vector, or −1 when nothing is deliverable.
   */
  take(): number {
    if (this.mpState !== 'runnable') return -1;
    if (this.apicv === true) this.syncPosted();
    if (this.interruptible !== true) return -1;
    const lapic = this.lapic;
    const irr = lapic.irr.words;
    const i = lapic.irr.highestWord();
    if (i < 0) return -1;
    const w = irr[i]!;
    const bit = 31 - Math.clz32(w);
    const v = (i << 5) + bit;
    if ((v & 0xf0) <= lapic.ppr) return -1;
    irr[i] = w & ~(1 << bit);
    const isr = lapic.isr.words;
    isr[i] = isr[i]! | (1 << bit);
    // v is above every ISR vector (its class beats PPR), so it is the new ISRV.
    const tpr = lapic.tpr;
    lapic.ppr = (tpr & 0xf0) >= (v & 0xf0) ? tpr & 0xff : v & 0xf0;
    if (this.trace.enabled === true) this.traceToken('take', v);
    return v;
  }

  /**
   * The LAPIC side of an EOI write (X86-4.12): completes the highest ISR vector and, when it
   * is in `ioapicHandled`, forwards it (full: to the IOAPIC; split: KVM_EXIT_IOAPIC_EOI).
   * @returns the completed vector, or −1 if ISR was empty.
   */
  eoi(): number {
    const lapic = this.lapic;
    // The highest ISR vector, cleared, then the next one down (the new ISRV) from its word.
    const words = lapic.isr.words;
    let i = lapic.isr.highestWord();
    if (i < 0) return -1;
    let w = words[i]!;
    const bit = 31 - Math.clz32(w);
    const v = (i << 5) + bit;
    w &= ~(1 << bit);
    words[i] = w;
    while (w === 0 && i > 0) w = words[--i]!;
    const isrv = w === 0 ? 0 : (i << 5) + 31 - Math.clz32(w);
    const tpr = lapic.tpr;
    lapic.ppr = (tpr & 0xf0) >= (isrv & 0xf0) ? tpr & 0xff : isrv & 0xf0;
    if (this.trace.enabled === true) this.traceToken('eoi', v);
    if (lapic.ioapicHandled.test(v)) this.forwardEoi(v);
    return v;
  }

  private forwardEoi(v: number): void {
    const rescan = v === this.lapic.highestStalePendingEoi;
    this.platform.forwardEoi(this, v);
    if (rescan) this.platform.rescanEoi(this);
  }
}

function badMessage(mode: number, vector: number, level: number, trigger: number): never {
  throw new IrqError(
    'EINVAL',
    `APIC message (mode ${mode}, vector ${vector}, level ${level}, trigger ${trigger}) is out of range`,
  );
}
