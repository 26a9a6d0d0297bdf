import {
  CallbackTask,
  checkRange,
  type Delivery,
  IGNORED,
  type IrqChip,
  IrqError,
  USERSPACE_SOURCE_ID,
} from '@irqkit/core';
import type { ApicBus } from '../apic/bus.js';
import { Shorthand } from '../apic/message.js';
import type { ClockTimer } from '../clock.js';
import type { Platform } from '../platform.js';
import type { Vcpu } from '../vcpu.js';
import {
  IOAPIC_DEFAULT_BASE,
  IOAPIC_EOI_INJECT_DELAY_NS,
  IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT,
  IoapicPin,
  RTE_RESET_LO,
  Rte,
} from './regs.js';
import { RtcStatus } from './rtc.js';

/** `kvm` = KVM's in-kernel IOAPIC; `qemu` / `kvm-userspace` = a VMM's IOAPIC (X86-2.19). */
export type IoapicFlavour = 'kernel' | 'qemu' | 'kvm-userspace';

/** Called with the new mask value when an entry's mask bit changes (X86-2.6). */
export type MaskNotifier = (masked: boolean) => void;

/** IOAPIC irqchip id in routing entries (X86-1.1). */
export const IOAPIC_CHIP_ID = 2;

/**
 * The IOAPIC (spec/x86.md §2), register-exact. In the full irqchip it is KVM's in-kernel
 * IOAPIC, an {@link IrqChip} (id 2, 24 pins) driven by the routing table; on split / none it is
 * the VMM's userspace IOAPIC, whose device models call {@link Ioapic.setLevel} directly and
 * which delivers through MSI routes (split) or straight to the userspace LAPICs (none).
 *
 * State per pin: the redirection entry (two 32-bit halves), the IRR bit (latched request),
 * `irrDelivered` (edge only) and the storm counter. The per-pin source bitmaps are the core's.
 */
export class Ioapic implements IrqChip {
  /** Routing-entry chip id. */
  readonly id: number = IOAPIC_CHIP_ID;
  /** Number of pins. */
  readonly pins: number = IoapicPin.Count;
  /** Redirection entries, bits 31:0. */
  readonly lo: Uint32Array = new Uint32Array(IoapicPin.Count).fill(RTE_RESET_LO);
  /** Redirection entries, bits 63:32. */
  readonly hi: Uint32Array = new Uint32Array(IoapicPin.Count);
  /** Successive level re-triggers per pin (`irq_eoi`). */
  readonly eoiCount: Uint32Array = new Uint32Array(IoapicPin.Count);
  /** IOREGSEL. */
  ioregsel = 0;
  /** The 4-bit IOAPIC ID. */
  ioapicId = 0;
  /** Latched requests, one bit per pin. */
  irr = 0;
  /** Edge pins whose latest edge was delivered (hidden from `getState().irr`). */
  irrDelivered = 0;
  /** MMIO base (fixed in KVM). */
  baseAddress: number = IOAPIC_DEFAULT_BASE;
  /** RTC EOI tracking (X86-2.16). */
  readonly rtc: RtcStatus;
  /** Version: 0x11 (KVM) or 0x20 (with EOI register). */
  readonly version: 0x11 | 0x20;
  /** Which IOAPIC this is. */
  readonly flavour: IoapicFlavour;
  /** Userspace IOAPIC: resample eventfds signalled on a level EOI of the pin (QEMU split VFIO). */
  readonly resampleFds: Array<Array<{ signal(n?: number): void }>> = Array.from(
    { length: IoapicPin.Count },
    () => [],
  );
  private readonly eoiInjectTask: CallbackTask;
  private timer: ClockTimer | null = null;
  private readonly kernel: boolean;
  private readonly qemu: boolean;
  private readonly split: boolean;
  private readonly bus: ApicBus;

  /** @param platform - the machine internals. */
  constructor(private readonly platform: Platform) {
    const o = platform.opts;
    this.kernel = o.irqchip === 'full';
    this.split = o.irqchip === 'split';
    this.bus = platform.bus;
    this.flavour = this.kernel
      ? 'kernel'
      : o.userspaceIoapicEdge === 'kvm'
        ? 'kvm-userspace'
        : 'qemu';
    this.qemu = this.flavour === 'qemu';
    this.version = o.ioapicVersion;
    this.rtc = new RtcStatus(o.vcpus);
    this.eoiInjectTask = new CallbackTask(
      'ioapic-eoi-inject',
      'IOAPIC delayed EOI re-service',
      () => this.eoiInjectWork(),
      platform.vm,
    );
  }

  // ---- pin input (X86-2.9, 2.19) --------------------------------------------------------------

  /**
   * Drives pin `pin` to `level` — for the in-kernel IOAPIC the OR of the pin's sources (the core
   * calls this), for a userspace IOAPIC the device model's line.
   * @param lineStatus - KVM_IRQ_LINE_STATUS (only the RTC pin uses it, X86-2.16).
   * @returns the Delivery: 1 for a de-assert, 0 coalesced, −1 masked/blocked, else vCPUs reached.
   * @throws IrqError EINVAL for a pin outside 0..23.
   */
  setLevel(pin: number, level: boolean, lineStatus = false): Delivery {
    if ((pin | 0) !== pin || pin < 0 || pin >= IoapicPin.Count) {
      throw new IrqError('EINVAL', `IOAPIC pin ${String(pin)} is out of range 0..23`);
    }
    if (this.qemu === true) return this.setLevelQemu(pin, level);
    const bit = 1 << pin;
    if (level !== true) {
      this.irr &= ~bit;
      return 1;
    }
    if (pin === IoapicPin.Rtc && lineStatus === true && this.rtc.pendingEoi > 0) return 0;
    const oldIrr = this.irr;
    this.irr = oldIrr | bit;
    if ((this.lo[pin]! & Rte.Level) === 0) {
      this.irrDelivered &= ~bit;
      if ((oldIrr & bit) !== 0) return 0; // no rising edge: coalesced
    }
    return this.service(pin, lineStatus);
  }

  // X86-2.19, QEMU `ioapic_set_irq`: masked edges are not latched; every unmasked edge call
  // delivers; a level assertion latches and services unless remote IRR is set.
  private setLevelQemu(pin: number, level: boolean): Delivery {
    const bit = 1 << pin;
    const lo = this.lo[pin]!;
    if ((lo & Rte.Level) !== 0) {
      if (!level) {
        this.irr &= ~bit;
        return 1;
      }
      this.irr |= bit;
      return (lo & Rte.RemoteIrr) === 0 ? this.serviceAllQemu(pin) : IGNORED;
    }
    if (!level) return 1;
    if ((lo & Rte.Masked) !== 0) return IGNORED;
    this.irr |= bit;
    return this.serviceAllQemu(pin);
  }

  /**
   * `ioapic_service` (X86-2.10): delivers pin `pin`'s entry unless it is masked or a level
   * entry awaiting EOI.
   */
  service(pin: number, lineStatus: boolean): Delivery {
    const lo = this.lo[pin]!;
    if (
      (lo & Rte.Masked) !== 0 ||
      (lo & (Rte.Level | Rte.RemoteIrr)) === (Rte.Level | Rte.RemoteIrr)
    ) {
      return IGNORED;
    }
    const level = (lo & Rte.Level) !== 0;
    if (level !== true) this.irrDelivered |= 1 << pin;
    const r =
      pin === IoapicPin.Rtc && lineStatus === true && this.kernel === true
        ? this.sendRtc(pin, lo)
        : this.send(pin, lo);
    if (level === true && r > 0) this.lo[pin] = lo | Rte.RemoteIrr;
    return r;
  }

  // X86-2.16: a lineStatus delivery of the RTC pin records which vCPUs owe an EOI.
  private sendRtc(pin: number, lo: number): Delivery {
    const p = this.platform;
    p.rtc = this.rtc;
    let r: number;
    try {
      r = this.send(pin, lo);
    } finally {
      p.rtc = null;
    }
    this.rtc.pendingEoi = r < 0 ? 0 : r;
    return r;
  }

  // QEMU `ioapic_service`: every unmasked pin with IRR set; edges clear IRR, levels set remote
  // IRR before sending (whatever the result). Returns the Delivery of pin `which`.
  private serviceAllQemu(which: number): Delivery {
    let result: Delivery = IGNORED;
    for (let pin = 0; pin < IoapicPin.Count; pin++) {
      const bit = 1 << pin;
      if ((this.irr & bit) === 0) continue;
      const lo = this.lo[pin]!;
      if ((lo & Rte.Masked) !== 0) continue;
      if ((lo & Rte.Level) === 0) this.irr &= ~bit;
      else {
        if ((lo & Rte.RemoteIrr) !== 0) continue;
        this.lo[pin] = lo | Rte.RemoteIrr;
      }
      const r = this.send(pin, lo);
      if (pin === which) result = r;
    }
    return result;
  }

  /** Services every pin with IRR set (QEMU after an entry write, and its delayed timer). */
  serviceAll(): void {
    if (this.qemu) {
      this.serviceAllQemu(-1);
      return;
    }
    for (let pin = 0; pin < IoapicPin.Count; pin++) {
      if ((this.irr & (1 << pin)) !== 0) this.service(pin, false);
    }
  }

  // Sends an entry as an APIC message: on the bus (in-kernel / none), or as its MSI equivalent
  // through the pin's MSI route (split, X86-2.20).
  private send(pin: number, lo: number): Delivery {
    if (this.split === true) return this.sendMsiRoute(pin, lo);
    return this.bus.deliver(
      null,
      this.hi[pin]! >>> Rte.DestShift,
      (lo >>> 11) & 1,
      (lo >>> 8) & 7,
      lo & 0xff,
      (lo >>> 15) & 1,
      1,
      Shorthand.None,
      0,
    );
  }

  // X86-2.20: the userspace IOAPIC raises its pin's MSI route (edge: a pulse; level: assert).
  private sendMsiRoute(pin: number, lo: number): Delivery {
    const vm = this.platform.vm;
    const r = vm.setIrq(USERSPACE_SOURCE_ID, pin, true);
    if ((lo & Rte.Level) === 0) vm.setIrq(USERSPACE_SOURCE_ID, pin, false);
    return r;
  }

  // ---- EOI (X86-2.13 … 2.15, 2.19) ----------------------------------------------------------

  /**
   * `kvm_ioapic_update_eoi` (X86-2.13): vCPU `vcpu` EOI'd `vector` (forwarded by its LAPIC
   * because the vector is in its `ioapicHandled`); `level` is that LAPIC's TMR bit.
   */
  eoi(vcpu: Vcpu, vector: number, level: boolean): void {
    const p = this.platform;
    if (p.trace.enabled === true)
      p.trace.emit({ type: 'x86.ioapic-eoi', vcpu: vcpu.index, vector, level });
    this.rtc.eoi(vcpu.index, vector);
    const suppressed = (vcpu.lapic.spiv & (1 << 12)) !== 0;
    for (let pin = 0; pin < IoapicPin.Count; pin++) {
      if ((this.lo[pin]! & 0xff) !== vector) continue;
      // Ack notifiers first, with remote IRR still set: a re-assertion from a callback is
      // latched, not delivered (CORE-4.3).
      p.vm.notifyAcked(IOAPIC_CHIP_ID, pin);
      if (!level || suppressed) continue;
      this.clearRemoteIrrAndRetrigger(pin);
    }
  }

  // Steps 3–5 of X86-2.13 (and QEMU's equivalent): remote IRR = 0; re-service a still
  // asserted unmasked pin, deferring by 10 ms after 10000 successive re-triggers.
  private clearRemoteIrrAndRetrigger(pin: number): void {
    const lo = this.lo[pin]! & ~Rte.RemoteIrr;
    this.lo[pin] = lo;
    if ((lo & Rte.Masked) === 0 && (this.irr & (1 << pin)) !== 0) {
      const n = this.eoiCount[pin]! + 1;
      if (n >= IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT) {
        this.eoiCount[pin] = 0;
        this.scheduleEoiInject(pin);
      } else {
        this.eoiCount[pin] = n;
        if (this.qemu) this.serviceAllQemu(pin);
        else this.service(pin, false);
      }
    } else {
      this.eoiCount[pin] = 0;
    }
  }

  /**
   * A userspace IOAPIC's EOI broadcast (KVM_EXIT_IOAPIC_EOI from the LAPIC, or the version
   * 0x20 EOI register, X86-2.14, 2.19): level pins with this vector get their resample events
   * signalled, then remote IRR cleared and re-serviced if still asserted. Edge pins untouched.
   */
  eoiBroadcast(vector: number): void {
    for (let pin = 0; pin < IoapicPin.Count; pin++) {
      const lo = this.lo[pin]!;
      if ((lo & 0xff) !== vector || (lo & Rte.Level) === 0) continue;
      this.notifyUserspaceAck(pin);
      if ((this.lo[pin]! & Rte.RemoteIrr) === 0 && this.qemu) continue;
      this.clearRemoteIrrAndRetrigger(pin);
    }
  }

  /**
   * The version 0x20 EOI register (offset 0x40, X86-2.14): a directed EOI for `vector`. Only
   * userspace IOAPICs have version 0x20; KVM's in-kernel one (0x11) never decodes the offset.
   */
  eoiRegister(vector: number): void {
    this.eoiBroadcast(vector & 0xff);
  }

  private notifyUserspaceAck(pin: number): void {
    const fds = this.resampleFds[pin]!;
    for (let i = 0; i < fds.length; i++) fds[i]!.signal(1);
  }

  private scheduleEoiInject(pin: number): void {
    const p = this.platform;
    if (p.trace.enabled === true) p.trace.emit({ type: 'x86.storm', pin });
    // schedule_delayed_work on work that is already pending is a no-op.
    if (this.timer === null) this.armEoiInject(IOAPIC_EOI_INJECT_DELAY_NS);
  }

  private armEoiInject(ns: number): void {
    this.timer = this.platform.clock.after(ns, () => {
      this.timer = null;
      this.platform.vm.schedule(this.eoiInjectTask);
    });
  }

  /** True while the storm guard's delayed re-service is pending (timer or queued task). */
  get eoiInjectPending(): boolean {
    return this.timer !== null || this.eoiInjectTask.queued;
  }

  /** Nanoseconds left on the storm guard's timer, or −1 when none is running. */
  eoiInjectRemaining(): number {
    return this.timer === null ? -1 : this.timer.remaining;
  }

  /** Re-arms the storm timer with `ns` left, or cancels it for `ns < 0` (snapshot restore). */
  rearmEoiInject(ns: number): void {
    this.cancelEoiInject();
    if (ns >= 0) this.armEoiInject(ns);
  }

  /** Queues the delayed re-service task now (snapshot restore of a queued task). */
  queueEoiInject(): void {
    this.platform.vm.schedule(this.eoiInjectTask);
  }

  /** Cancels the delayed re-service (reset). */
  cancelEoiInject(): void {
    this.timer?.cancel();
    this.timer = null;
    this.platform.vm.scheduler.cancel(this.eoiInjectTask);
  }

  // X86-2.15: every level pin with IRR = 1 and remote IRR = 0.
  private eoiInjectWork(): void {
    if (this.qemu) {
      this.serviceAllQemu(-1);
      return;
    }
    for (let pin = 0; pin < IoapicPin.Count; pin++) {
      const lo = this.lo[pin]!;
      if ((lo & Rte.Level) === 0) continue;
      if ((this.irr & (1 << pin)) !== 0 && (lo & Rte.RemoteIrr) === 0) this.service(pin, false);
    }
  }

  // ---- redirection-entry writes (X86-2.4 … 2.8) ----------------------------------------------

  /**
   * `ioapic_write_indirect` for a redirection entry: writes half `high` of entry `pin`,
   * keeping the read-only bits, then applies the consequences of the write.
   */
  writeEntry(pin: number, high: boolean, value: number): void {
    const oldLo = this.lo[pin]!;
    const oldDest = this.hi[pin]! >>> Rte.DestShift;
    let lo = oldLo;
    if (high) this.hi[pin] = value >>> 0;
    else lo = value >>> 0;
    // X86-2.4: remote IRR and delivery status are read-only.
    lo =
      (lo & ~(Rte.RemoteIrr | Rte.DeliveryStatus)) | (oldLo & (Rte.RemoteIrr | Rte.DeliveryStatus));
    // X86-2.5: an edge entry has no remote IRR (the "mask, edge, level, unmask" EOI trick).
    if ((lo & Rte.Level) === 0) lo &= ~Rte.RemoteIrr;
    this.lo[pin] = lo >>> 0;
    const p = this.platform;
    if (!this.kernel) {
      this.eoiCount[pin] = 0;
      p.userspaceIoapicWritten(pin);
      if (this.qemu) {
        this.serviceAllQemu(-1);
        return;
      }
    } else if (((oldLo ^ lo) & Rte.Masked) !== 0) {
      p.fireMaskNotifiers(IOAPIC_CHIP_ID, pin, (lo & Rte.Masked) !== 0);
    }
    // X86-2.7: on every write, a latched level request of an unmasked, idle entry is either
    // resampled (a resampler exists for the GSI) or delivered now.
    const now = this.lo[pin]!;
    if (
      (now & (Rte.Level | Rte.Masked | Rte.RemoteIrr)) === Rte.Level &&
      (this.irr & (1 << pin)) !== 0
    ) {
      if (this.kernel && p.vm.notifyResampler(IOAPIC_CHIP_ID, pin)) this.irr &= ~(1 << pin);
      else this.service(pin, false);
    }
    // X86-2.8: recompute EOI interception (fixed: old and new destinations only).
    if (this.kernel) {
      const cur = this.lo[pin]!;
      if (((cur >>> 8) & 7) === 0) {
        p.rescanEoiForDest(
          [this.hi[pin]! >>> Rte.DestShift, oldDest],
          (cur & Rte.DestLogical) !== 0 ? 1 : 0,
          cur & 0xff,
        );
      } else {
        p.rescanEoiAll();
      }
    }
  }

  // ---- mask notifiers (X86-2.6) --------------------------------------------------------------

  /**
   * Registers `fn` for mask changes of the pin that GSI `gsi` maps to (KVM's mask notifiers,
   * used by the PIT); the PIC's IMR changes reach the same notifiers.
   * @returns a function that unregisters it.
   * @throws IrqError EINVAL for a GSI outside 0..4095 or a non-function.
   */
  registerMaskNotifier(gsi: number, fn: MaskNotifier): () => void {
    checkRange('gsi', gsi, 0, 4095);
    if (typeof fn !== 'function') throw new IrqError('EINVAL', 'mask notifier must be a function');
    return this.platform.registerMaskNotifier(gsi, fn);
  }

  // ---- reset (X86-2.18) ----------------------------------------------------------------------

  /** `kvm_ioapic_reset`: every entry masked (other bits kept), registers and latches cleared. */
  reset(): void {
    this.cancelEoiInject();
    for (let pin = 0; pin < IoapicPin.Count; pin++)
      this.lo[pin] = (this.lo[pin]! | Rte.Masked) >>> 0;
    this.baseAddress = IOAPIC_DEFAULT_BASE;
    this.ioregsel = 0;
    this.irr = 0;
    this.irrDelivered = 0;
    this.ioapicId = 0;
    this.eoiCount.fill(0);
    this.rtc.reset();
  }
}
