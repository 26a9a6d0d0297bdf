/**
 * ARM trace events, added to the core's {@link TraceEventMap}. Emitted only while someone
 * listens (`trace.enabled`).
 */
declare module '@irqkit/core' {
  interface TraceEventMap {
    /** A maintenance interrupt forced an exit; `misr` is ICH_MISR_EL2 (ARM-3.12). */
    'arm.maintenance': { vcpu: number; misr: number };
    /** A vCPU blocked in WFI was woken (ARM-3.4). */
    'arm.wakeup': { vcpu: number };
    /** A GICv4 doorbell fired for a non-resident vPE (ARM-6.5). */
    'arm.doorbell': { vcpu: number };
    /** An ITS command failed; the queue moved on (ARM-5.2). */
    'arm.its-error': { opcode: number; code: number };
    /** A physical SPI was forwarded / unforwarded (ARM-3.19, 3.20). */
    'arm.forward': { op: 'forward' | 'unforward'; hostIrq: number; intid: number };
    /** A vLPI was mapped / unmapped (ARM-6.3, 6.7). */
    'arm.vlpi': { op: 'map' | 'unmap'; intid: number; hostIrq: number };
  }
}

export {};
