import type { CostConstant } from './constant.js';

// Host-side work and guest-model events. spec/costs.md publishes no figure for these (the
// host IPI that kicks a vCPU, a host IRQ, a work item); they are estimates in nanoseconds so
// that they mean the same on every platform. Each row states its assumption.

/**
 * A host interrupt: entry, the VFIO handler (mask, eventfd signal, irqfd wake-up) and exit,
 * on a host CPU. No published figure; assumed well below one in-kernel exit round trip
 * because no world switch is involved. E.
 */
export const HOST_IRQ_NS: CostConstant = {
  value: 500,
  unit: 'ns',
  status: 'E',
  source: 'estimate',
  note: 'host IRQ entry + VFIO handler + eventfd wake-up',
};

/**
 * A deferred work item (`schedule_work` + a kworker running the irqfd inject or the VFIO
 * unmask). No published figure; assumed 1 µs (a wake-up of an idle kworker costs more). E.
 */
export const HOST_WORK_ITEM_NS: CostConstant = {
  value: 1000,
  unit: 'ns',
  status: 'E',
  source: 'estimate',
  note: 'queue_work + kworker dispatch of one item',
};

/**
 * Waking a blocked vCPU thread: "a trip through the scheduler, normally on the order of a
 * few micro-seconds" (HPOLL), read as 3 µs, as X86_HALT_POLL_SAVE_NS. E.
 */
export const HOST_WAKEUP_NS: CostConstant = {
  value: 3000,
  unit: 'ns',
  status: 'E',
  source: 'HPOLL',
  note: 'scheduler wake-up of the vCPU thread after a halt',
};
