import type { Host, Machine } from '@irqkit/core';
import type { RtasName } from '../xics/constants.js';
import type { HcallResult, RtasCall } from './guest-calls.js';
import type { PowerProfile } from './kernel.js';

/** Options of {@link createPowerMachine}. */
export interface PowerMachineOptions {
  /** Number of vCPUs (1 … 2048). */
  readonly vcpus: number;
  /** The host kernel (default: a new {@link Host} with the immediate scheduler). */
  readonly host?: Host;
  /** Execution profile (default `hv-realmode`, spec/power.md §8). */
  readonly profile?: PowerProfile;
  /** Real mode may borrow an idle host core to wake a non-running vCPU (default true). */
  readonly hostRedirect?: boolean;
  /**
   * How far to set XICS up, as QEMU does (default `connected`): `connected` creates the device
   * and connects every vCPU; `device` only creates the device; `none` leaves the VM without an
   * in-kernel interrupt controller.
   */
  readonly xics?: 'connected' | 'device' | 'none';
  /** Server number of each vCPU (default: the vCPU index, as QEMU passes the vCPU id). */
  readonly servers?: readonly number[];
  /**
   * Set each connected vCPU's CPPR to 0xFF, as a booting guest's XICS driver does with H_CPPR
   * (default true; not counted, no events). With false the ICPs keep the CPPR 0 of a fresh
   * connection and nothing can be delivered (PWR-3.1).
   */
  readonly boot?: boolean;
  /** Bind the four RTAS names to QEMU's tokens 0x200A … 0x200D (default true). */
  readonly rtasTokens?: boolean;
}

/** A read-only view of one ICP (spec/power.md §3.1). */
export interface IcpView {
  /** The vCPU it belongs to. */
  readonly vcpu: number;
  /** Its server number. */
  readonly server: number;
  /** Current processor priority. */
  readonly cppr: number;
  /** IPI request priority. */
  readonly mfrr: number;
  /** Priority of what XISR holds. */
  readonly ppri: number;
  /** Pending source (0 none, 2 IPI). */
  readonly xisr: number;
  /** A delivery failed since the last resend scan. */
  readonly needResend: boolean;
  /** The presentation output `xisr != 0 && ppri < cppr`. */
  readonly outEe: boolean;
  /** ICS ids in the resend map, ascending. */
  readonly resendMap: readonly number[];
}

/** A read-only view of one source slot (spec/power.md §2). */
export interface SourceView {
  /** Its global number. */
  readonly irq: number;
  /** Target server. */
  readonly server: number;
  /** Current priority (0xFF = masked). */
  readonly priority: number;
  /** Priority `ibm,int-on` restores. */
  readonly savedPriority: number;
  /** Level-sensitive. */
  readonly lsi: boolean;
  /** Set by userspace at least once. */
  readonly exists: boolean;
  /** Waiting for a resend scan. */
  readonly resend: boolean;
  /** Triggered while masked. */
  readonly maskedPending: boolean;
  /** P/Q bits (P = 1, Q = 2). */
  readonly pq: number;
}

/**
 * A POWER sPAPR machine with the in-kernel XICS: the core {@link Machine} plus the userspace
 * interface (device, vCPU connection, source and ICP words, RTAS tokens), the guest's hcalls and
 * RTAS calls, and read-only views of the ICS/ICP state (spec/power.md §0.3).
 */
export interface PowerMachine extends Machine {
  /** Always `'power'`. */
  readonly arch: 'power';
  /** Execution profile (spec/power.md §8). */
  readonly profile: PowerProfile;
  /** Real mode may wake a non-running vCPU through a borrowed host core (`h_ipi_redirect`). */
  hostRedirect: boolean;
  /** The model's timebase, returned by H_XIRR_X in r5. */
  timebase: bigint;
  /** True while the VM has an XICS device. */
  readonly hasDevice: boolean;

  /** PWR-9.1: `KVM_CREATE_DEVICE(XICS)`. @throws IrqError EEXIST */
  createDevice(): void;
  /** PWR-9.9: close the device (frees ICPs and ICSes). @throws IrqError ENODEV */
  release(): void;
  /** PWR-9.2: connect `vcpu` as `server`. @throws IrqError EBADF, EBUSY, EEXIST, EINVAL */
  connectVcpu(vcpu: number, server: number): void;
  /** The server number of `vcpu`, or null when it has no ICP. */
  server(vcpu: number): number | null;

  /** PWR-9.5: set source `irq` from its 64-bit word. @throws IrqError ENOENT, EINVAL, ENODEV */
  setSource(irq: number, word: bigint): void;
  /** PWR-9.4: the 64-bit word of source `irq`. @throws IrqError ENOENT, ENODEV */
  getSource(irq: number): bigint;
  /** PWR-9.3: true iff `16 ≤ irq < 0x100000` (has-attr of group 1). */
  hasSource(irq: number): boolean;
  /** Device set-attr: group 1 is {@link PowerMachine.setSource}; other groups → ENXIO. */
  setAttr(group: number, attr: number, word: bigint): void;
  /** Device get-attr: group 1 is {@link PowerMachine.getSource}; other groups → ENXIO. */
  getAttr(group: number, attr: number): bigint;
  /** Device has-attr (PWR-9.3). @throws IrqError ENXIO when the attribute does not exist */
  hasAttr(group: number, attr: number): void;
  /** PWR-9.7: set the ICP word of `vcpu`. @throws IrqError ENOENT, EINVAL */
  setIcp(vcpu: number, word: bigint): void;
  /** PWR-9.6: the ICP word of `vcpu` (0 without an ICP). */
  getIcp(vcpu: number): bigint;

  /** `kvm_set_irq` (PWR-4.1, 7.1): `level` is a u32 with KVM's codes; returns 0, −22 or −19. */
  trigger(irq: number, level: number): number;
  /** `KVM_IRQ_LINE` (PWR-7.3): returns normally even when the trigger failed. @throws ENXIO */
  irqLine(irq: number, level: number | boolean): void;

  /** Any hcall with 64-bit registers (§5, §8). */
  hcall(vcpu: number, nr: number, r4?: bigint | number, r5?: bigint | number): HcallResult;
  /** H_XIRR, allocation-free: the XIRR, or −1 when it went to userspace. */
  hXirr(vcpu: number): number;
  /** H_CPPR, allocation-free: r3, or −1 when it went to userspace. */
  hCppr(vcpu: number, cppr: number): number;
  /** H_EOI, allocation-free: r3, or −1 when it went to userspace. */
  hEoi(vcpu: number, xirr: number): number;
  /** H_IPI, allocation-free: r3, or −1 when it went to userspace. */
  hIpi(vcpu: number, server: number, mfrr: number): number;
  /**
   * `KVM_CAP_PPC_ENABLE_HCALL` for one of the six XICS hcalls: disabled hcalls go to
   * userspace (PWR-5.1). @throws IrqError EINVAL for other numbers
   */
  enableHcall(nr: number, enabled: boolean): void;

  /** PWR-6.1 `KVM_PPC_RTAS_DEFINE_TOKEN` (token 0 undefines). @throws IrqError EEXIST, ENOENT */
  defineRtasToken(name: string, token: number | bigint): void;
  /** The token bound to `name`, if any. */
  rtasToken(name: RtasName): number | undefined;
  /** PWR-6.2: an RTAS call by `vcpu`; the return words, or null when userspace handles it. */
  rtas(vcpu: number, call: RtasCall): number[] | null;
  /** An RTAS call by name (looks the token up); null when userspace handles it. */
  rtasByName(vcpu: number, name: RtasName, args: readonly number[], nret: number): number[] | null;

  /** The ICP of `vcpu`, or null. */
  icpState(vcpu: number): IcpView | null;
  /** The slot of `irq`, or null when no ICS holds it. */
  sourceState(irq: number): SourceView | null;
  /** Ids of the created ICSes, ascending. */
  icsIds(): number[];
  /** Highest created ICS id, −1 when none (PWR-1.3). */
  readonly maxIcsId: number;
  /** The external-interrupt line of `vcpu` (raised by eeRaise, lowered by eeLower). */
  eeLine(vcpu: number): boolean;
}
