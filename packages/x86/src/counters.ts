import type { Counters } from '@irqkit/core';

/**
 * The x86 counter names (spec/x86.md §7), defined on every vCPU's set and, through the parent
 * link, on the machine's. Resolved to slot ids once per set so counting is one typed-array add.
 */
export const X86_COUNTER_NAMES = [
  'exits.kick',
  'exits.eoi',
  'exits.mmio',
  'exits.msr',
  'exits.apicWrite',
  'exits.irqWindow',
  'exits.hlt',
  'exits.tprBelowThreshold',
  'exits.pio',
  'userspace.mmio',
  'userspace.ioapicEoi',
  'userspace.irqWindowOpen',
  'userspace.intr',
  'notifications',
  'hostIrqs',
  'wakeups',
  'irteUpdates',
  'illegalVectors',
  'posted',
] as const;

/** One of {@link X86_COUNTER_NAMES}. */
export type X86CounterName = (typeof X86_COUNTER_NAMES)[number];

/** Slot ids of the x86 counters in one {@link Counters} set. */
export class X86CounterIds {
  /** `exits.kick`: a host IPI forced the vCPU out of guest mode. */
  readonly kick: number;
  /** `exits.eoi`: an EOI write trapped (or an EOI-induced exit with APICv). */
  readonly eoi: number;
  /** `exits.mmio`: an IOAPIC/LAPIC MMIO access trapped. */
  readonly mmio: number;
  /** `exits.msr`: an x2APIC MSR access trapped. */
  readonly msr: number;
  /** `exits.apicWrite`: APICv trap-like APIC-write exit. */
  readonly apicWrite: number;
  /** `exits.irqWindow`: interrupt-window exit. */
  readonly irqWindow: number;
  /** `exits.hlt`: HLT exit. */
  readonly hlt: number;
  /** `exits.tprBelowThreshold`: TPR lowered below the pending interrupt's class. */
  readonly tprBelowThreshold: number;
  /** `exits.pio`: a trapped port I/O access (the PIC's ports). */
  readonly pio: number;
  /** `userspace.mmio`: the MMIO exit went on to the VMM. */
  readonly userspaceMmio: number;
  /** `userspace.ioapicEoi`: KVM_EXIT_IOAPIC_EOI. */
  readonly userspaceIoapicEoi: number;
  /** `userspace.irqWindowOpen`: KVM_EXIT_IRQ_WINDOW_OPEN. */
  readonly userspaceIrqWindowOpen: number;
  /** `userspace.intr`: KVM_EXIT_INTR (VMM signalled the vCPU to inject). */
  readonly userspaceIntr: number;
  /** `notifications`: posted-interrupt notifications processed in guest mode (no exit). */
  readonly notifications: number;
  /** `hostIrqs`: host interrupts caused by posted-interrupt notifications for this vCPU. */
  readonly hostIrqs: number;
  /** `wakeups`: a blocked vCPU was woken by an interrupt. */
  readonly wakeups: number;
  /** `irteUpdates`: IOMMU IRTE reprogrammings for this VM. */
  readonly irteUpdates: number;
  /** `illegalVectors`: accepted vectors 0..15 (KVM does not raise the error, X86-4.6). */
  readonly illegalVectors: number;
  /** `posted`: interrupts posted into the PID (software, IPIv or IOMMU). */
  readonly posted: number;

  /** Resolves (and so defines) every x86 counter in `c`. */
  constructor(c: Counters) {
    this.kick = c.id('exits.kick');
    this.eoi = c.id('exits.eoi');
    this.mmio = c.id('exits.mmio');
    this.msr = c.id('exits.msr');
    this.apicWrite = c.id('exits.apicWrite');
    this.irqWindow = c.id('exits.irqWindow');
    this.hlt = c.id('exits.hlt');
    this.tprBelowThreshold = c.id('exits.tprBelowThreshold');
    this.pio = c.id('exits.pio');
    this.userspaceMmio = c.id('userspace.mmio');
    this.userspaceIoapicEoi = c.id('userspace.ioapicEoi');
    this.userspaceIrqWindowOpen = c.id('userspace.irqWindowOpen');
    this.userspaceIntr = c.id('userspace.intr');
    this.notifications = c.id('notifications');
    this.hostIrqs = c.id('hostIrqs');
    this.wakeups = c.id('wakeups');
    this.irteUpdates = c.id('irteUpdates');
    this.illegalVectors = c.id('illegalVectors');
    this.posted = c.id('posted');
  }
}
