/**
 * # @irqkit/x86 — theory of operation
 *
 * Linux KVM's x86 interrupt controllers on top of `@irqkit/core` (spec/x86.md):
 * {@link createX86Machine} returns an {@link X86Machine} — a core `Machine` whose VM has the
 * IOAPIC, one local APIC per vCPU, MSI decode, posted interrupts and the IRQ-bypass consumer.
 *
 * **What flows in.** Lines: `vm.irqLine`, irqfds and resampling irqfds drive GSIs through the
 * routing table to IOAPIC pins (full irqchip: default routing GSI n → pin n). Messages: `msi`
 * routes, `vm.signalMsi` and the irqfd fast path decode address/data ({@link decodeMsi}) into
 * APIC-bus messages. IPIs: the guest writes the ICR ({@link X86Machine.mmioWrite},
 * {@link X86Machine.wrmsr}). Device MSIs paired with an irqfd through the core's bypass manager
 * are posted straight into a vCPU's {@link PostedInterruptDescriptor} (VT-d posting).
 *
 * **Where an interrupt is.** `ioapic/` (redirection entry, IRR, remote IRR) → `apic/` (the APIC
 * bus: optimised map or slow path, lowest-priority arbitration) → `lapic/` + {@link Vcpu}
 * (IRR/TMR, or PIR + notification with APICv) → the guest takes it ({@link Vcpu.take}: ISR,
 * PPR) → EOI: ISR cleared; if the vector is in the vCPU's EOI-interception set the EOI reaches
 * the IOAPIC (full) or exits to userspace (split), which clears remote IRR, notifies ack
 * notifiers (the core's resampler) and re-delivers a still-asserted level line.
 *
 * **What flows out.** Delivery results as KVM's (`< 0` ignored, `0` coalesced or nobody,
 * `> 0` vCPUs reached), counters (`exits.*`, `userspace.*`, `notifications`, `hostIrqs`,
 * `wakeups`, `irteUpdates`, … per vCPU and per machine) and trace events (core events plus
 * `x86.*`, see {@link X86_TRACE_EVENTS}).
 *
 * **What it refuses.** Bad options or out-of-range arguments to any public method throw
 * `IrqError` (EINVAL, ENXIO, ENOSPC) and change nothing. Guest register accesses never throw:
 * they are ignored, read as hardware reads, or report #GP as `false` / `undefined`.
 *
 * **The 8259 PIC** (full irqchip, `pic: true` by default) is a second pair of routing targets
 * for GSIs 0–15; its output reaches a vCPU whose LVT0 is unmasked ExtINT (virtual wire), and the
 * guest talks to it through port I/O ({@link X86Machine.pioWrite}).
 *
 * **Not supported.** The APIC timer, SMM itself (an SMI is only recorded), AMD AVIC, PV EOI,
 * Hyper-V SynIC and Xen event channels, the PIT.
 * KVM's slow-path "nobody matched → −1" is reported as 0 (X86-4.9, traced as a deviation).
 *
 * @packageDocumentation
 */

import './trace.js';

export { ApicBus } from './apic/bus.js';
export {
  ApicMap,
  LOGICAL_MAP_DISABLED,
  LOGICAL_SW_DISABLED,
  LOGICAL_X2APIC,
  LOGICAL_XAPIC_CLUSTER,
  LOGICAL_XAPIC_FLAT,
} from './apic/map.js';
export { DFR_CLUSTER, DFR_FLAT, matchDest } from './apic/match.js';
export {
  APIC_BROADCAST,
  DELIVERY_MODE_NAMES,
  DEST_LOGICAL,
  DEST_PHYSICAL,
  DM_EXTINT,
  DM_FIXED,
  DM_INIT,
  DM_LOWEST,
  DM_NMI,
  DM_REMRD,
  DM_SMI,
  DM_STARTUP,
  POSTED_INTR_NESTED_VECTOR,
  POSTED_INTR_VECTOR,
  POSTED_INTR_WAKEUP_VECTOR,
  SH_ALL_BUT,
  SH_ALL_INC,
  SH_NONE,
  SH_SELF,
  X2APIC_BROADCAST,
} from './apic/message.js';
export {
  KVM_IRQCHIP_IOAPIC,
  KVM_IRQCHIP_PIC_MASTER,
  KVM_IRQCHIP_PIC_SLAVE,
  X86Arch,
} from './arch.js';
export { ClockTimer, VirtualClock } from './clock.js';
export { X86_COUNTER_NAMES, X86CounterIds, type X86CounterName } from './counters.js';
export { LINE_GSIS, X86GuestPort } from './guest-port.js';
export {
  ioapicMmioRead,
  ioapicMmioWrite,
  low32,
  readIndirect,
  writeIndirect,
} from './ioapic/access.js';
export { IOAPIC_CHIP_ID, Ioapic, type IoapicFlavour, type MaskNotifier } from './ioapic/ioapic.js';
export {
  decodeIoregsel,
  decodeRte,
  encodeRteLow,
  IOAPIC_DEFAULT_BASE,
  IOAPIC_EOI_INJECT_DELAY_NS,
  IOAPIC_MEM_LENGTH,
  IOAPIC_MMIO_MAP,
  IOAPIC_NUM_PINS,
  IOAPIC_REG_ARB_ID,
  IOAPIC_REG_ID,
  IOAPIC_REG_REDTBL,
  IOAPIC_REG_VERSION,
  IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT,
  type IoapicIndirect,
  type IoapicMmioRegister,
  type IoapicMmioRow,
  ioapicMmioRegister,
  type RedirectionEntry,
  RTC_PIN,
  RTE_DELIVERY_STATUS,
  RTE_DEST_LOGICAL,
  RTE_DEST_SHIFT,
  RTE_LEVEL,
  RTE_MASKED,
  RTE_POLARITY,
  RTE_REMOTE_IRR,
  RTE_RESET_LO,
} from './ioapic/regs.js';
export { RtcStatus } from './ioapic/rtc.js';
export { getIoapicState, type KvmIoapicState, setIoapicState } from './ioapic/state.js';
export { Lapic, LVT_COUNT } from './lapic/lapic.js';
export {
  APIC_BASE_BSP,
  APIC_BASE_ENABLE,
  APIC_BASE_X2APIC,
  APIC_DEFAULT_BASE,
  APIC_LVR_DIRECTED_EOI,
  APIC_MMIO_LENGTH,
  APIC_VERSION,
  LAPIC_REGISTERS,
  type LapicRegister,
  lapicRegisterAt,
  lapicRegisterForMsr,
  MSR_IA32_APICBASE,
  type RegAccess,
  SPIV_APIC_ENABLED,
  SPIV_DIRECTED_EOI,
  X2APIC_MSR_BASE,
} from './lapic/regs.js';
export type { LapicState } from './lapic/state.js';
export { createX86Machine, defaultRouting, type IrteInfo, X86Machine } from './machine.js';
export {
  composeMsi,
  type DecodedMsi,
  decodeMsi,
  MSI_ADDRESS_BASE,
  type MsiFields,
  msiDest,
  swizzleExtDestId,
  X86MsiSink,
} from './msi/msi.js';
export {
  type IrqchipMode,
  MAX_VCPUS,
  type ResolvedX86Options,
  type X2apicApiOptions,
  type X86MachineOptions,
} from './options.js';
export { PIC_PORTS, picPortRead, picPortWrite } from './pic/access.js';
export { I8259, type KvmPicState, PIC_MASTER_ID, PIC_SLAVE_ID, PicPair } from './pic/pic.js';
export { Platform } from './platform.js';
export { PostedIrte, X86Bypass } from './posted/bypass.js';
export { PostedInterruptDescriptor } from './posted/pid.js';
export type { VcpuState, X86State } from './snapshot.js';
export { X86_TRACE_EVENTS } from './trace.js';
export { type MpState, Vcpu } from './vcpu.js';
