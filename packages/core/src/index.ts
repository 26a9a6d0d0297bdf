/**
 * # @irqkit/core — theory of operation
 *
 * A model of Linux KVM's generic virtual-interrupt plumbing (spec/core.md, spec/host.md).
 *
 * **What flows in.** A host device (a {@link VfioPciIntx}, {@link VfioMsiDevice} or
 * {@link VfioPlatformIrq} on the {@link Host}) signals an {@link EventFd}. The eventfd's
 * {@link Irqfd} injects its GSI: from the signalling context when its cached route allows
 * (an MSI, the fast path), otherwise through a deferred `inject` task on the host
 * {@link Scheduler}. Userspace injects with {@link Vm.irqLine} and {@link Vm.signalMsi}.
 *
 * **Routing.** {@link Vm.setIrq} looks the GSI up in the {@link RoutingTable} and drives every
 * entry: `irqchip` entries OR the source id into the pin's bitmap and drive an {@link IrqChip}
 * pin; `msi` entries go to the arch's {@link MsiSink}. Results combine as KVM's do
 * ({@link Delivery}: < 0 ignored, 0 coalesced, > 0 vCPUs reached).
 *
 * **What flows back.** When the guest acknowledges a level pin, the controller calls
 * {@link Vm.notifyAcked}; the GSI's {@link Resampler} de-asserts the shared RESAMPLER source and
 * signals every resamplefd, which unmasks the host device.
 *
 * **Bypass.** The {@link IrqBypassManager} pairs a host producer and an irqfd that hold the
 * same eventfd; the arch's {@link BypassHooks} then deliver without the irqfd path (posted,
 * forwarded, vLPI).
 *
 * **Plugins** implement {@link IrqChip}, {@link MsiSink}, {@link IrqArch} and return a
 * {@link Machine} with a {@link GuestPort}; `@irqkit/conformance` proves them.
 *
 * **Not supported:** threads (the model is single-threaded and deterministic; KVM's races are
 * reproduced by queued tasks and {@link Scheduler.checkpoint} hooks), interrupt timing (see
 * `@irqkit/sim`), 1:N bypass pairings.
 *
 * @packageDocumentation
 */

export { type AckNotifier, AckNotifierList } from './ack/ack-notifiers.js';
export { Bitmap } from './bitmap.js';
export { IrqBypassManager } from './bypass/manager.js';
export type { IrqBypassConsumer, IrqBypassProducer } from './bypass/types.js';
export { COALESCED, combineDelivery, type Delivery, IGNORED, WOULD_BLOCK } from './delivery.js';
export { checkRange, ERRNO, errnoToCode, IrqError, type IrqErrorCode } from './errors.js';
export { EventFd, type EventFdListener, type EventFdWaiter, type EventFdWake } from './eventfd.js';
export { type ForwardTarget, LineForwarding } from './host/forwarding.js';
export { Host, HostIrqController, HostMsiIrq, type PostedTarget } from './host/host.js';
export {
  type HostIrqAction,
  type HostIrqHandler,
  HostIrqLine,
  SPURIOUS_THRESHOLD,
  SPURIOUS_WINDOW,
} from './host/host-irq-line.js';
export { PciDevice, VfioPciIntx, type VfioPciIntxOptions } from './host/pci-intx.js';
export { MsiVector, VfioMsiDevice, type VfioMsiDeviceOptions } from './host/vfio-msi.js';
export { VfioPlatformIrq, type VfioPlatformIrqOptions } from './host/vfio-platform.js';
export { Irqfd } from './irqfd/irqfd.js';
export {
  IRQFD_FLAG_DEASSIGN,
  IRQFD_FLAG_RESAMPLE,
  IrqfdManager,
  type IrqfdRequest,
} from './irqfd/irqfds.js';
export { Resampler } from './irqfd/resampler.js';
export type {
  BypassHooks,
  ForwardingHooks,
  IrqArch,
  IrqChip,
  MsiSink,
} from './machine/arch.js';
export type {
  GuestPort,
  JsonValue,
  LineConfig,
  Machine,
  MachineCapabilities,
  MachineSnapshot,
  MsiConfig,
  Trigger,
  VcpuRunState,
} from './machine/machine.js';
export { Vm, type VmOptions, type VmSnapshot } from './machine/vm.js';
export { CounterJournal, Counters } from './obs/counters.js';
export { Trace, type TraceEvent, type TraceEventMap, type TraceListener } from './obs/trace.js';
export { checkU32 } from './routing/core-kinds.js';
export {
  type IrqchipRoutingEntry,
  MAX_ROUTES,
  type MsiMessage,
  type MsiRoutingEntry,
  ROUTE_FLAG_VALID_DEVID,
  type RoutingEntry,
  type RoutingEntryBase,
  type RoutingEntryKinds,
} from './routing/entries.js';
export type { RouteKind, RouteTarget } from './routing/kinds.js';
export { PinLines } from './routing/pin-lines.js';
export {
  MAX_SOURCE_IDS,
  PIT_SOURCE_ID,
  RESAMPLER_SOURCE_ID,
  SourceIdAllocator,
  USERSPACE_SOURCE_ID,
} from './routing/source-ids.js';
export { type GsiRouter, RouteKindRegistry, RoutingTable } from './routing/table.js';
export {
  type CheckpointHook,
  ImmediateScheduler,
  Scheduler,
  TestScheduler,
} from './sched/scheduler.js';
export { CallbackTask, type Task, type TaskKind } from './sched/task.js';
