/**
 * # @irqkit/power — theory of operation
 *
 * A model of Linux KVM's in-kernel XICS for sPAPR guests (spec/power.md): the interrupt
 * controller of POWER7/POWER8 hosts, as the book3s virtual-mode code and its HV real-mode twin
 * implement it.
 *
 * **Numbers, not routes.** A global interrupt number names its source controller and the
 * source in it: ICS id (the "BUID" of the 2012 design debate) = `irq >> 10`, source =
 * `irq & 0x3FF`. `kvm_set_irq(gsi)` *is* `trigger(gsi, level)`; irqfds bind straight to a
 * number. The machine gives the core `Vm` a fixed identity router instead of a routing
 * table, so `setGsiRouting` (ENOTTY) and `signalMsi` (ENOTTY) are refused, and there is no
 * source-id OR-ing: userspace and irqfds share one input per number.
 *
 * **What flows in.** Userspace creates sources by writing their 64-bit words (an ICS of 1024
 * sources appears on the first write into it) and connects vCPUs as servers. Interrupts arrive
 * by `kvm_set_irq` / `KVM_IRQ_LINE` (u32 levels with KVM's SET/UNSET codes), by irqfds (and
 * resampling irqfds for LSIs), and — in the `hv-realmode` profile — by the real-mode
 * passthrough of host MSIs paired through the core's IRQ-bypass manager.
 *
 * **Source → presentation.** A trigger updates the source's P/Q bits and, when they say so,
 * offers the number to its server's ICP: it lands in XISR if its priority beats CPPR, MFRR and
 * the pending priority (strictly), displacing — *rejecting* — a less favoured one, which is
 * offered again; otherwise it is marked for *resend*, which the next down-CPPR, MFRR raise or
 * `setIcp` MFRR raise on that ICP performs. Masked sources remember the attempt.
 *
 * **What flows out.** The guest drives the ICP with H_XIRR / H_XIRR_X (accept), H_CPPR,
 * H_EOI, H_IPI and H_IPOLL, and programs sources with the RTAS calls `ibm,set-xive`,
 * `ibm,get-xive`, `ibm,int-off`, `ibm,int-on` once userspace has bound their tokens. H_EOI
 * re-presents a still-asserted LSI or a queued MSI, then acks the number to the core's ack
 * notifiers (resampling irqfds). The trace carries `power.eeRaise`, `power.eeLower`,
 * `power.kick`, `power.warn`, `power.exit`, and the core's `ack` and `resample` (PWR-0.4).
 *
 * **Cost accounting.** `hv-realmode` completes H_XIRR(_X), H_CPPR, H_EOI and H_IPI in real
 * mode unless a non-running vCPU must be woken without a borrowed host core, or an EOI must
 * reach ack notifiers; H_IPOLL and RTAS always exit to the host kernel. `virtual` exits for
 * every in-kernel hcall. Counters (per vCPU, summed into the machine's): `hcalls.realmode`,
 * `exits.hcall`, `exits.kick`, `exits.notify-eoi`, `exits.rtas`, `exits.user`, `rtas`, `kicks`,
 * `kicks.self`, `kicks.direct`, `kicks.redirected`, `kicks.deferred`; machine-wide `xics.*`
 * (presented, failed, rejects, maskedPending, resendScans, noServer, noIcs, warnings),
 * `passthru.*` and `guest.spurious`. The guide docs/arch/power.md explains them.
 *
 * **Hot path.** `GuestPort.take` / `eoi` and the irqfd → ICS → ICP path allocate nothing. The
 * register-style `hXirr()` returns the XIRR as a u32, which V8 boxes when it exceeds 2^30.
 *
 * **Save/restore** is the userspace format: one ICP word per vCPU and one source word per
 * source, restored ICPs first, then sources, as QEMU migrates them.
 *
 * **Not supported:** XICS-on-XIVE (POWER9+ hosts, §11), "link" ring delivery (KVM has none,
 * §10), the e500 MPIC, QEMU's own XICS emulation (hcalls and RTAS calls that go to userspace
 * are reported as such and not emulated), timing (see `@irqkit/sim`).
 *
 * @packageDocumentation
 */

import './events.js';

export type { PowerExitLevel, PowerExitReason, PowerWarnCode } from './events.js';
export type { HcallHandledIn, HcallResult, RtasCall } from './machine/guest-calls.js';
export { xicsPriority } from './machine/guest-port.js';
export type { PowerProfile } from './machine/kernel.js';
export { createPowerMachine } from './machine/power-machine.js';
export type { PowerState } from './machine/snapshot.js';
export type { IcpView, PowerMachine, PowerMachineOptions, SourceView } from './machine/types.js';
export {
  decodeIrq,
  FIRST_IRQ,
  H_CPPR,
  H_EOI,
  H_HARDWARE,
  H_IPI,
  H_IPOLL,
  H_PARAMETER,
  H_RTAS,
  H_SUCCESS,
  H_TOO_HARD,
  H_XIRR,
  H_XIRR_X,
  ICS_SHIFT,
  IRQ_PER_ICS,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_QUEUED,
  MASKED,
  MAX_ICS_ID,
  NR_IRQS,
  QEMU_RTAS_TOKENS,
  RTAS_NAMES,
  RTAS_PARAMETER_ERROR,
  RTAS_SUCCESS,
  type RtasName,
  XICS_IPI,
} from './xics/constants.js';
export { decodeIcpWord, encodeIcpWord, type IcpFields } from './xics/state.js';
