import type { Counters, Host, MsiRoutingEntry, RoutingEntryBase, Trace, Vm } from '@irqkit/core';
import { ApicBus } from './apic/bus.js';
import { matchDest } from './apic/match.js';
import { SH_NONE } from './apic/message.js';
import { VirtualClock } from './clock.js';
import type { Ioapic, MaskNotifier } from './ioapic/ioapic.js';
import { IOAPIC_NUM_PINS, RTC_PIN, RTE_DEST_SHIFT, RTE_LEVEL, RTE_MASKED } from './ioapic/regs.js';
import type { RtcStatus } from './ioapic/rtc.js';
import { LVT_MASKED, SPIV_DIRECTED_EOI } from './lapic/regs.js';
import { MSI_ADDRESS_BASE, msiDest } from './msi/msi.js';
import type { ResolvedX86Options } from './options.js';
import type { PicPair } from './pic/pic.js';
import type { Vcpu } from './vcpu.js';

/**
 * The machine's internals shared by the LAPICs, the APIC bus and the IOAPIC: options, the core
 * VM, the vCPUs, and the cross-cutting pieces — EOI forwarding and the EOI-interception set
 * (X86-4.11, 4.12), the posted-interrupt wakeup handler, and which vCPU is acting now.
 */
export class Platform {
  /** Resolved options. */
  readonly opts: ResolvedX86Options;
  /** The host kernel. */
  readonly host: Host;
  /** Machine counters. */
  readonly counters: Counters;
  /** Machine trace. */
  readonly trace: Trace;
  /** Virtual time (storm guard). */
  readonly clock: VirtualClock = new VirtualClock();
  /** The vCPUs, by index. */
  readonly vcpus: Vcpu[] = [];
  /** The APIC bus. */
  readonly bus: ApicBus;
  /** The core VM (set once created). */
  vm!: Vm;
  /** The IOAPIC (in-kernel or userspace). */
  ioapic!: Ioapic;
  /** The vCPU performing the current guest action (its own messages need no kick). */
  current: Vcpu | null = null;
  /** RTC tracking while pin 8 is delivered with `lineStatus` (X86-2.16). */
  rtc: RtcStatus | null = null;
  /** KVM's `nr_possible_bypass_irqs`. */
  bypassCount = 0;
  /** The 8259 pair (full irqchip with `pic: true`), or null. */
  pic: PicPair | null = null;
  private readonly maskNotifiers = new Map<number, MaskNotifier[]>();

  /**
   * @param opts - resolved options.
   * @param counters - machine counters.
   * @param trace - machine trace.
   */
  constructor(opts: ResolvedX86Options, counters: Counters, trace: Trace) {
    this.opts = opts;
    this.host = opts.host;
    this.counters = counters;
    this.trace = trace;
    this.bus = new ApicBus(this);
  }

  /** NV/SN are managed (X86-6.3a): a possible bypass IRQ exists, or IPI virtualization is on. */
  get postingArmed(): boolean {
    return this.bypassCount > 0 || this.opts.ipiv;
  }

  /** An APIC ID, LDR, DFR, mode or enable bit changed: new map, new EOI interception. */
  apicChanged(): void {
    this.bus.invalidate();
    this.rescanEoiAll();
  }

  /** Posted-interrupt wakeup handler on `pcpu`: wakes listed vCPUs whose ON is set. */
  wakeupHandler(pcpu: number): void {
    for (const v of this.vcpus) {
      if (v.pcpu === pcpu && v.onWakeupList && v.pid.on && v.state === 'blocked') v.wake();
    }
  }

  // ---- the PIC's output (X86-3.2a) and mask notifiers (X86-2.6) ----------------------------------

  /** `kvm_apic_accept_pic_intr`: LVT0 unmasked with ExtINT, or the APIC hardware-disabled. */
  acceptsPicIntr(v: Vcpu): boolean {
    const lvt0 = v.lapic.lvt[3]!;
    return !v.lapic.present || ((lvt0 & LVT_MASKED) === 0 && ((lvt0 >>> 8) & 7) === 7);
  }

  /** The master's INT rose: kick the first vCPU that accepts PIC interrupts (`pic_unlock`). */
  picOutputRose(): void {
    for (const v of this.vcpus) {
      if (this.acceptsPicIntr(v)) {
        v.kick();
        return;
      }
    }
  }

  /** Registers a mask notifier for GSI `gsi`; returns a function that removes it. */
  registerMaskNotifier(gsi: number, fn: MaskNotifier): () => void {
    this.maskNotifiers.set(gsi, [...(this.maskNotifiers.get(gsi) ?? []), fn]);
    return () => {
      this.maskNotifiers.set(
        gsi,
        (this.maskNotifiers.get(gsi) ?? []).filter((f) => f !== fn),
      );
    };
  }

  /** `kvm_fire_mask_notifiers`: `(chip, pin)`'s mask changed; notify its GSI's listeners. */
  fireMaskNotifiers(chip: number, pin: number, masked: boolean): void {
    const gsi = this.vm.gsiFor(chip, pin);
    if (gsi < 0) return;
    const list = this.maskNotifiers.get(gsi);
    if (list !== undefined) for (const fn of list) fn(masked);
  }

  // ---- EOI forwarding (X86-4.12, 4.16) ---------------------------------------------------------

  /** `kvm_ioapic_send_eoi` after the vector was found in `vcpu`'s `ioapicHandled`. */
  forwardEoi(vcpu: Vcpu, vector: number): void {
    const s = this.vm.scheduler;
    s.enter();
    try {
      this.forwardEoiLocked(vcpu, vector);
    } finally {
      s.exit();
    }
  }

  private forwardEoiLocked(vcpu: Vcpu, vector: number): void {
    const o = this.opts;
    const level = vcpu.lapic.tmr.test(vector);
    if (o.irqchip === 'full') {
      this.ioapic.eoi(vcpu, vector, level);
      return;
    }
    const directed = (vcpu.lapic.spiv & SPIV_DIRECTED_EOI) !== 0;
    if (o.irqchip === 'none') {
      // A userspace LAPIC broadcasts level EOIs unless the guest asked for directed EOI.
      if (level && !directed) this.ioapic.eoiBroadcast(vector);
      return;
    }
    // Split: KVM_EXIT_IOAPIC_EOI, unless the quirk is off and the guest suppressed the broadcast.
    if (directed && !o.suppressEoiBroadcastQuirk) return;
    vcpu.counters.add(vcpu.ids.userspaceIoapicEoi);
    if (this.trace.enabled === true) {
      this.trace.emit({
        type: 'x86.userspace-exit',
        vcpu: vcpu.index,
        reason: 'ioapic-eoi',
        vector,
      });
    }
    this.ioapic.eoiBroadcast(vector); // the VMM handles the exit
  }

  // ---- EOI interception (X86-4.11) -------------------------------------------------------------

  /** Recomputes every vCPU's `ioapicHandled`. */
  rescanEoiAll(): void {
    if (this.ioapic === undefined) return;
    for (const v of this.vcpus) this.rescanEoi(v);
  }

  /**
   * Recomputes the sets of the vCPUs that `dests` (in `destMode`) reach — what an IOAPIC write
   * to a fixed entry requests (X86-2.8; KVM reuses the new destination mode for the old ID).
   */
  rescanEoiForDest(dests: readonly number[], destMode: number, vector: number): void {
    const mark = new Uint8Array(this.vcpus.length);
    for (const d of dests) this.bus.destVcpus(d, destMode, vector, mark);
    for (let i = 0; i < mark.length; i++) if (mark[i] === 1) this.rescanEoi(this.vcpus[i]!);
  }

  /** `vcpu_scan_ioapic` for one vCPU. */
  rescanEoi(vcpu: Vcpu): void {
    const lapic = vcpu.lapic;
    const set = lapic.ioapicHandled;
    set.clearAll();
    lapic.highestStalePendingEoi = -1;
    const o = this.opts;
    if (o.irqchip === 'none') {
      set.words.fill(0xffffffff); // the userspace LAPIC decides by TMR (forwardEoi)
      return;
    }
    if (o.irqchip === 'split') {
      this.scanRoutes(vcpu);
      return;
    }
    const io = this.ioapic;
    const rtc = io.rtc;
    if (rtc.destMap[vcpu.index] === 1) set.set(rtc.vectors[vcpu.index]!);
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const lo = io.lo[pin]!;
      if ((lo & RTE_LEVEL) === 0 && pin !== RTC_PIN && !this.vm.hasAckNotifier(io.id, pin))
        continue;
      this.scanIrq(vcpu, io.hi[pin]! >>> RTE_DEST_SHIFT, (lo >>> 11) & 1, lo & 0xff);
    }
  }

  // kvm_scan_ioapic_routes: level MSI routes at GSIs below splitReservedRoutes.
  private scanRoutes(vcpu: Vcpu): void {
    const n = this.opts.splitReservedRoutes;
    const router = this.vm.router;
    for (let gsi = 0; gsi < n; gsi++) {
      const targets = router.targets(gsi);
      for (let i = 0; i < targets.length; i++) {
        const e = targets[i]!.entry as RoutingEntryBase;
        if (e.kind !== 'msi') continue;
        const m = e as MsiRoutingEntry;
        if (((m.data >>> 15) & 1) === 0) continue;
        this.scanIrq(
          vcpu,
          msiDest(m.addressLo, m.addressHi, this.opts.use32BitIds),
          (m.addressLo >>> 2) & 1,
          m.data & 0xff,
        );
      }
    }
  }

  // kvm_scan_ioapic_irq: intercept if the vCPU is a destination, or if the vector is still
  // pending there from an older routing (the "stale" clause; remember the highest).
  private scanIrq(vcpu: Vcpu, dest: number, destMode: number, vector: number): void {
    const lapic = vcpu.lapic;
    if (matchDest(lapic, null, SH_NONE, dest, destMode, !this.opts.disableBroadcastQuirk)) {
      lapic.ioapicHandled.set(vector);
    } else if (lapic.pendingEoi(vector)) {
      lapic.ioapicHandled.set(vector);
      if (vector > lapic.highestStalePendingEoi) lapic.highestStalePendingEoi = vector;
    }
  }

  // ---- the split irqchip's userspace IOAPIC routes (X86-1.4, 2.20) -----------------------------

  /**
   * After a userspace IOAPIC entry write on a split irqchip, the VMM updates the MSI routes of
   * its pins (QEMU `ioapic_update_kvm_routes`: unmasked pins get their entry's MSI, masked pins
   * keep their route) and commits the table.
   */
  userspaceIoapicWritten(_pin: number): void {
    if (this.opts.irqchip !== 'split') return;
    const io = this.ioapic;
    const vm = this.vm;
    const keep: RoutingEntryBase[] = [];
    const byPin: Array<RoutingEntryBase | undefined> = new Array(IOAPIC_NUM_PINS);
    for (const e of vm.router.entries()) {
      if (e.gsi < IOAPIC_NUM_PINS) byPin[e.gsi] = e.kind === 'msi' ? e : byPin[e.gsi];
      else keep.push(e);
    }
    const own: MsiRoutingEntry[] = [];
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const lo = io.lo[pin]!;
      const old = byPin[pin] as MsiRoutingEntry | undefined;
      if ((lo & RTE_MASKED) !== 0 && old !== undefined) {
        own.push(old);
        continue;
      }
      const dest = io.hi[pin]! >>> RTE_DEST_SHIFT;
      own.push({
        gsi: pin,
        kind: 'msi',
        addressLo: (MSI_ADDRESS_BASE | (dest << 12) | (((lo >>> 11) & 1) << 2)) >>> 0,
        addressHi: 0,
        data: ((lo & 0xff) | (((lo >>> 8) & 7) << 8) | (lo & RTE_LEVEL)) >>> 0,
      });
    }
    vm.setGsiRouting([...own, ...keep]);
  }
}
