/**
 * # @irqkit/arm — theory of operation
 *
 * A behavioural model of Linux KVM's arm64 VGIC (spec/arm.md): GICv2 and GICv3 guests, the
 * list-register protocol, forwarded (hardware-mapped) SPIs, the ITS and GICv4/4.1 direct
 * injection, on top of `@irqkit/core`.
 *
 * **What flows in.** The core's routing table drives irqchip 0 (GSI i → SPI 32 + i by default,
 * ARM-4.4) and sends MSIs to the ITS, which translates (DeviceID, EventID) → LPI through its
 * tables in guest RAM and a translation cache (ARM-5.5, 5.6). Userspace injects with
 * {@link ArmMachine.injectLine}; guests raise SGIs through ICC_SGI1R_EL1 / GICD_SGIR.
 *
 * **Where an interrupt is.** Pending and enabled, it sits on its target vCPU's ap_list; at
 * guest entry the highest-priority entries are written to the list registers; the guest
 * acknowledges and EOIs them on the virtual CPU interface ({@link CpuInterface}) without
 * exits; at exit the LRs are folded back (ARM-3.5 … 3.11). Maintenance interrupts (EOI of a
 * software level IRQ, underflow, no-pending, EOIcount) force the exits that refill the LRs.
 *
 * **What flows back.** The EOI of a software level SPI folds into an ack notification
 * (`vm.notifyAcked(0, pin)`), which drives the core's resampler and resamplefds. A forwarded
 * SPI (HW bit) needs neither: the guest's deactivation deactivates the host line (seed 004).
 * GICv4 vLPIs skip the host entirely while their vPE is resident; a blocked vCPU gets a
 * doorbell.
 *
 * **Costs.** Per-vCPU and machine counters (`exits.kick`, `exits.maintenance`, `exits.mmio`,
 * `exits.sysreg`, `doorbells`, `hostIrqs`, `wakeups`, `lrFlushes`; the core's `schedTasks`,
 * `ackNotifications`, `resamplefdSignals`) price each path (arm.md §7).
 *
 * **What it refuses.** Bad public input throws `IrqError` (EINVAL, EBUSY, EAGAIN, ENODEV …)
 * and changes nothing; guest register accesses never throw: wrong sizes, misaligned and
 * unmapped offsets read 0 and ignore writes. Invalid ITS commands record their error code and
 * change nothing.
 *
 * **Not supported.** Timing (see `@irqkit/sim`), several ITSs per VM, Aff3 routing and
 * IRM = 1 SPI routing, GICv2 on GICv2 hosts beyond the LR count, nested virtualisation, vSGI
 * doorbells beyond the vLPI ones, the GICv3 "affinity routing disabled" legacy mode.
 *
 * @packageDocumentation
 */

import './trace.js';

export { GuestBus } from './bus.js';
export {
  HCR,
  type HcrBitName,
  IRQCHIP_NUM_PINS,
  LR_ACTIVE,
  LR_INVALID,
  LR_PENDING,
  LR_PENDING_ACTIVE,
  MIN_LPI,
  MISR,
  type MisrBitName,
  SPURIOUS_INTID,
} from './constants.js';
export { GicFrame } from './frames.js';
export { CpuInterface } from './gic/cpu-interface.js';
export { GICV_REGS, type GicvReg } from './gic/cpuif-v2.js';
export { DIST_V2 } from './gic/dist-v2.js';
export { DIST_V3 } from './gic/dist-v3.js';
export { type IrqConfig, isPending, type PhysIrqOps, VgicIrq } from './gic/irq.js';
export { REDIST_RD, REDIST_SGI, REDIST_SIZE, SGI_BASE } from './gic/redist.js';
export { ACC_8, ACC_32, ACC_64, type RegContext, type Region } from './gic/regs.js';
export { SYSREGS, type SysReg } from './gic/sysregs.js';
export { ArmGuestPort, PORT_DEVID, portPriority } from './guest-port.js';
export {
  defaultDriverLayout,
  type GuestRegs,
  ItsDriver,
  type ItsDriverLayout,
  itsCommand,
} from './its/driver.js';
export { Its, type ItsCacheMode } from './its/its.js';
export { ITS_REGS } from './its/its-regs.js';
export { translate } from './its/translate.js';
export {
  GITS_TRANSLATER,
  ITS_CMD,
  ITS_ERR,
  type Ite,
  type ItsCollection,
  type ItsDevice,
} from './its/types.js';
export { defaultLayout, type GicLayout } from './layout.js';
export {
  ArmMachine,
  createArmMachine,
  type LineInjection,
  type Mmio,
  type SysregAccess,
} from './machine.js';
export { GuestMemory } from './memory.js';
export type { ArmMachineOptions } from './options.js';
export { UserAccess } from './user-access.js';
export { Vpe } from './v4/vpe.js';
export type { ForwardRequest } from './vgic/forward.js';
export { ListRegisters } from './vgic/lr.js';
export {
  VCPU_COUNTERS,
  type VcpuCounterIds,
  type VcpuCounterName,
  VgicCpu,
} from './vgic/vcpu.js';
export { affinityOf, type GicV4, Vgic, type VgicConfig } from './vgic/vgic.js';
