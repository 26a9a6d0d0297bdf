/**
 * x86 trace events, added to the core's {@link TraceEventMap}. Every emit is guarded by
 * `trace.enabled`, so none of these objects exists unless someone listens.
 */
import type { TraceEventMap } from '@irqkit/core';

declare module '@irqkit/core' {
  interface TraceEventMap {
    /** The IOAPIC received an EOI broadcast for `vector` from `vcpu` (X86-2.13). */
    'x86.ioapic-eoi': { vcpu: number; vector: number; level: boolean };
    /** A vCPU exited to userspace (KVM_EXIT_IOAPIC_EOI, MMIO, INTR, IRQ window). */
    'x86.userspace-exit': { vcpu: number; reason: string; vector: number };
    /** A vector was posted into a PID; `notification` says what the notification did. */
    'x86.post': {
      vcpu: number;
      vector: number;
      by: 'software' | 'iommu' | 'ipiv';
      notification: 'none' | 'guest' | 'host' | 'wakeup' | 'suppressed';
    };
    /** An IRTE was reprogrammed: posted to (vcpu, vector), or remapped (vcpu −1). */
    'x86.irte': {
      irq: number;
      gsi: number;
      mode: 'posted' | 'remapped';
      vcpu: number;
      vector: number;
    };
    /** A vCPU sent an IPI (ICR or self-IPI write). */
    'x86.ipi': { vcpu: number; icrLo: number; dest: number; result: number };
    /** The IOAPIC's EOI storm guard deferred a level re-trigger by 10 ms (X86-2.13). */
    'x86.storm': { pin: number };
    /** A blocked vCPU was kicked out of its halt loop (KVM_REQ_UNBLOCK) and blocked again. */
    'x86.unblock': { vcpu: number };
    /** A vCPU changed run state. */
    'x86.runstate': { vcpu: number; from: string; to: string };
  }
}

/** The x86 event names (for filtering traces). */
export const X86_TRACE_EVENTS: readonly (keyof TraceEventMap)[] = [
  'x86.ioapic-eoi',
  'x86.userspace-exit',
  'x86.post',
  'x86.irte',
  'x86.ipi',
  'x86.storm',
  'x86.unblock',
  'x86.runstate',
];
