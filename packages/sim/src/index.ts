/**
 * # @irqkit/sim — theory of operation
 *
 * A deterministic discrete-event simulator that answers "what does each interrupt delivery
 * path cost?" by driving real irqkit machines, not a model of them.
 *
 * **In:** a {@link Scenario} (workloads, vCPUs, seed, duration, cost overrides) and a list of
 * {@link PathPreset}s. A preset builds a `Machine` (any plugin: the conformance kit's reference
 * plugin, x86, ARM, POWER, or a third party's) and wires each workload source along one path:
 * a VFIO MSI-X vector paired or not with its irqfd, a VFIO INTx or platform level IRQ through
 * a resampling irqfd, a forwarded line, an emulated device's eventfd.
 *
 * **How:** an {@link Engine} (virtual time in integer nanoseconds, a typed-array event heap, a
 * seeded {@link Rng}) runs workloads that raise device interrupts; the guest model takes
 * (`GuestPort.take`), handles, services the device and EOIs on each vCPU, halting through
 * `setRunState` when idle and holding a vCPU in run state `host` while an interrupt arrives
 * during one of its exits (no kick, as KVM). After every operation the {@link Meter} prices
 * what the plugin, the core and the host models counted — the slots its map prices are
 * watched (`Counters.watch`), so each priced increment is one journal entry — with named
 * constants from spec/costs.md ({@link CostMap}: counter → constant, data per architecture;
 * {@link Platform}: one machine's figures; {@link PriceList}: with overrides). vCPU-paid costs
 * delay that vCPU; host-paid costs on the delivery path delay the interrupt. So the numbers
 * follow what the plugin actually did.
 *
 * **Presets:** {@link x86Presets}, {@link armPresets}, {@link powerPresets} (the delivery paths
 * of spec/x86.md, arm.md and power.md §7, each naming the baseline it improves on) and
 * {@link referencePresets} (the conformance kit's plugin).
 *
 * **Out:** a {@link PathResult} per path (exits per interrupt by reason, latency from device
 * assert to handler entry p50/p99/max, transactions per second, host CPU overhead share, every
 * priced counter and the constants used) and, optionally, a Chrome trace-event file
 * ({@link ChromeTrace}) that Perfetto opens.
 *
 * **Same seed, same bytes:** no wall clock, no `Math.random`; each workload draws from its own
 * RNG stream, so arrivals are identical on every path.
 *
 * **Not modelled:** host CPU contention (host work runs on an idle host CPU), guest interrupt
 * masking windows other than "a handler runs with interrupts off", halt polling, vCPU
 * preemption by other host tasks, the device's own latency. IPI storms run only on presets
 * that supply an {@link IpiHook}.
 *
 * @packageDocumentation
 */

export type { CostConstant, CostStatus } from './cost/constant.js';
export * from './cost/constants-arm.js';
export * from './cost/constants-host.js';
export * from './cost/constants-power.js';
export * from './cost/constants-x86.js';
export {
  ARM_COST_MAP,
  COST_MAPS,
  type CostMap,
  type CostRule,
  type CostTerm,
  type CounterScope,
  POWER_COST_MAP,
  POWER_PASSTHROUGH_COST_MAP,
  REFERENCE_COST_MAP,
  X86_COST_MAP,
  X86_USERSPACE_IRQCHIP_COST_MAP,
} from './cost/cost-map.js';
export { Meter, type MeteredCounters } from './cost/meter.js';
export {
  ARM_SPLIT_MODE,
  ARM_VHE,
  defaultPlatform,
  PLATFORMS,
  type Platform,
  POWER9_RADIX,
  REFERENCE_PLATFORM,
  X86_SKYLAKE_SP,
} from './cost/platforms.js';
export { type CostOverrides, PriceList } from './cost/price-list.js';
export { Engine, type EventHandler } from './engine/engine.js';
export { EventQueue } from './engine/event-queue.js';
export { Rng } from './engine/rng.js';
export {
  type GraphEdge,
  type GraphNode,
  type RoutingGraph,
  renderDot,
  renderMermaid,
  routingGraph,
} from './graph/routing-graph.js';
export { WorkQueue } from './guest/work-queue.js';
export { armPresets } from './presets/arm.js';
export { powerPresets } from './presets/power.js';
export type {
  GraphHop,
  IpiHook,
  PathPreset,
  SourceSpec,
  WireContext,
  WiredSource,
} from './presets/preset.js';
export { type ReferenceMachineFactory, referencePresets } from './presets/reference.js';
export {
  type VfioMsiWiring,
  type VfioPlatformWiring,
  wireEmulatedEdge,
  wireVfioIntx,
  wireVfioMsi,
  wireVfioPlatform,
} from './presets/wiring.js';
export { x86Presets } from './presets/x86.js';
export { PathSimulation } from './run/path-sim.js';
export type {
  Comparison,
  LatencySummary,
  PathResult,
  PricedCounter,
  TimeBreakdown,
} from './run/result.js';
export {
  compare,
  createPathSimulation,
  PathSetupError,
  priceListFor,
  type RunOptions,
  runPath,
  selectPresets,
  wirePath,
} from './run/run.js';
export {
  type RunSetup,
  type RunSource,
  type SetupPricing,
  setUpPath,
  UnsupportedPathError,
} from './run/setup.js';
export { SimTracer } from './run/sim-tracer.js';
export type { SimTotals } from './run/totals.js';
export { DEFAULT_SCENARIO_INPUT, defaultScenario } from './scenario/default.js';
export type { Scenario, WorkloadSpec } from './scenario/scenario.js';
export {
  formatIssue,
  parseScenario,
  ScenarioError,
  type ScenarioIssue,
} from './scenario/schema.js';
export { Histogram } from './stats/histogram.js';
export {
  ChromeTrace,
  type ChromeTraceEvent,
  type ChromeTraceFile,
  validateChromeTrace,
} from './trace/chrome-trace.js';
export { createWorkload } from './workloads/create.js';
export { IpiStorm, type IpiStormSpec } from './workloads/ipi-storm.js';
export { RequestResponse, type RequestResponseSpec } from './workloads/request-response.js';
export { StorageBursts, type StorageSpec } from './workloads/storage.js';
export { PeriodicTimer, type TimerSpec } from './workloads/timer.js';
export type { Workload, WorkloadContext, WorkloadSource } from './workloads/workload.js';
