/**
 * The POWER trace events of spec/power.md PWR-0.4, added to the core's {@link TraceEventMap}.
 * `ack(gsi)` and `resample(gsi)` use the core's `ack` and `resample` events.
 */

/** Why a vCPU left guest context (PWR-0.4). */
export type PowerExitReason = 'hcall' | 'rtas' | 'kick' | 'notify-eoi';
/** Where it went: the host kernel (virtual mode) or userspace (QEMU). */
export type PowerExitLevel = 'vm' | 'user';
/** What a `power.warn` event reports. */
export type PowerWarnCode = 'noServer' | 'ipiOverwrite' | 'range';

declare module '@irqkit/core' {
  interface TraceEventMap {
    /** The vCPU's external-interrupt line was raised (a commit computed `outEe = 1`, PWR-3.3). */
    'power.eeRaise': { vcpu: number };
    /** The vCPU's external-interrupt line was lowered (H_XIRR, H_CPPR up, setIcp; PWR-3.4). */
    'power.eeLower': { vcpu: number };
    /** A non-self commit kicked `vcpu`; `self` when it is the vCPU executing the operation. */
    'power.kick': { vcpu: number; self: boolean };
    /** KVM's warnings: no ICP for a source's server, an IPI overwrote an irq, an out-of-range value. */
    'power.warn': { code: PowerWarnCode; irq: number; value: number };
    /** The calling vCPU left guest context: to the host kernel (`vm`) or to userspace (`user`). */
    'power.exit': { vcpu: number; level: PowerExitLevel; reason: PowerExitReason };
  }
}
