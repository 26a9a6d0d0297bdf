import {
  COALESCED,
  Counters,
  checkRange,
  type Delivery,
  type GuestPort,
  Host,
  HostMsiIrq,
  IGNORED,
  type IrqArch,
  type IrqBypassProducer,
  IrqError,
  type Irqfd,
  type JsonValue,
  type LineConfig,
  type Machine,
  type MachineCapabilities,
  type MachineSnapshot,
  type MsiConfig,
  type MsiMessage,
  type RouteTarget,
  type RoutingEntryBase,
  Trace,
  type VcpuRunState,
  Vm,
} from '@irqkit/core';
import { RefController, type RefPin } from './controller.js';
import { composeMsi, msiTarget, msiVector, validateRefMsi } from './msi.js';
import { FIRST_VECTOR, RefVcpuInterface } from './vcpu-interface.js';
import { VectorAllocator } from './vectors.js';

/** Options of {@link createReferenceMachine}. */
export interface ReferenceMachineOptions {
  /** Number of vCPUs, 1..255 (default 1). */
  readonly vcpus?: number;
  /** Input pins per controller, 1..256 (default 24). */
  readonly pins?: number;
  /** Number of controllers, 1 or 2 (default 1); a second one enables fan-out (CORE-1.5). */
  readonly controllers?: 1 | 2;
  /** With `false`, the VM has no in-kernel irqchip at all (default true). */
  readonly irqchip?: boolean;
  /** The host kernel (default: a new {@link Host} with an immediate scheduler). */
  readonly host?: Host;
}

/** The reference machine: a core {@link Machine} plus its controllers and vCPU interfaces. */
export interface ReferenceMachine extends Machine {
  /** The input controllers (ids 0, 1). */
  readonly controllers: readonly RefController[];
  /** vCPU `i`'s interrupt interface. */
  cpu(i: number): RefVcpuInterface;
  /** The vector `GuestPort.configure` / `configureMsi` gave `gsi`, if any. */
  vectorOf(gsi: number): number | undefined;
  /** Tears the VM's irqfds down. */
  destroy(): void;
}

interface SavedState {
  readonly pins: Array<Array<Omit<RefPin, 'hw'>>>;
  readonly cpus: Array<{ irr: number[]; isr: number[]; state: VcpuRunState }>;
  readonly vectors: Array<[number, number]>;
}

/**
 * Builds the reference plugin: `controllers` × `pins` input pins (GSI `c·pins + p` → controller
 * `c` pin `p` by default), `vcpus` vCPU interfaces, messages in x86's physical format, posted
 * delivery for paired host MSIs and hardware-mapped pins for forwarded host lines.
 *
 * It exists to be read: every hook a plugin can supply is used here in its simplest form.
 * @throws IrqError EINVAL for out-of-range options.
 */
export function createReferenceMachine(options: ReferenceMachineOptions = {}): ReferenceMachine {
  const nVcpus = checkRange('vcpus', options.vcpus ?? 1, 1, 255);
  const nPins = checkRange('pins', options.pins ?? 24, 1, 256);
  const nControllers = checkRange('controllers', options.controllers ?? 1, 1, 2);
  const withIrqchip = options.irqchip ?? true;
  const host = options.host ?? new Host();
  const counters = new Counters();
  const trace = new Trace();
  const cpus = Array.from(
    { length: nVcpus },
    (_, i) => new RefVcpuInterface(i, new Counters(counters)),
  );
  const vectors = new VectorAllocator();
  const posted = new Map<Irqfd, number>(); // irqfd → host MSI posted to the guest

  const deliverMsi = (msg: MsiMessage): Delivery => {
    const vector = msiVector(msg);
    if (vector < FIRST_VECTOR) return IGNORED;
    const cpu = cpus[msiTarget(msg)];
    return cpu === undefined ? COALESCED : cpu.accept(vector);
  };

  // Bypass: a paired host MSI is posted straight to the vCPU named by the irqfd's MSI route.
  const post = (irqfd: Irqfd, route: RouteTarget | null, producer: IrqBypassProducer): void => {
    if (!(host.irqs.get(producer.irq) instanceof HostMsiIrq)) return; // lines forward instead
    if (route === null || route.entry.kind !== 'msi') {
      if (posted.delete(irqfd)) host.irqs.setVcpuAffinity(producer.irq, null);
      return;
    }
    const msg = route.entry as unknown as MsiMessage;
    const cpu = cpus[msiTarget(msg)];
    const vector = msiVector(msg);
    if (cpu === undefined || vector < FIRST_VECTOR) return;
    host.irqs.setVcpuAffinity(producer.irq, { post: () => void cpu.post(vector) });
    posted.set(irqfd, producer.irq);
  };

  const arch: IrqArch = {
    name: 'reference',
    checkIrqLine() {
      if (!withIrqchip) throw new IrqError('ENXIO', 'no in-kernel irqchip');
    },
    checkSetRouting() {
      if (!withIrqchip) throw new IrqError('EINVAL', 'no in-kernel irqchip accepts routing');
    },
    checkIrqfd() {
      if (!withIrqchip) throw new IrqError('EINVAL', 'irqfd needs an in-kernel irqchip');
    },
    ...(withIrqchip
      ? { msi: { validateMsi: validateRefMsi, deliverMsi, deliverMsiInatomic: deliverMsi } }
      : {}),
    bypass: {
      addProducer(irqfd, producer) {
        post(irqfd, irqfd.route, producer);
        return 0;
      },
      delProducer(irqfd, producer) {
        if (posted.delete(irqfd)) host.irqs.setVcpuAffinity(producer.irq, null);
      },
      updateRouting(irqfd, _previous, next) {
        if (irqfd.producer !== null) post(irqfd, next, irqfd.producer);
      },
    },
    forwarding: {
      forward(line, gsi) {
        const { controller, pin } = pinOf(gsi);
        controller.pin[pin]!.hw = line;
      },
      unforward(_line, gsi) {
        const { controller, pin } = pinOf(gsi);
        controller.pin[pin]!.hw = null;
      },
    },
  };

  const vm = new Vm({ host, arch, counters, trace });
  const controllers = withIrqchip
    ? Array.from({ length: nControllers }, (_, id) => new RefController(id, nPins, vm, cpus))
    : [];
  for (const c of controllers) vm.addChip(c);
  const lineGsis = controllers.flatMap((c) =>
    Array.from({ length: nPins }, (_, p) => c.id * nPins + p),
  );
  if (withIrqchip) {
    vm.setGsiRouting(
      controllers.flatMap((c) =>
        Array.from({ length: nPins }, (_, pin) => ({
          gsi: c.id * nPins + pin,
          kind: 'irqchip' as const,
          chip: c.id,
          pin,
        })),
      ),
    );
  }

  function pinOf(gsi: number): { controller: RefController; pin: number } {
    for (const e of vm.entriesFor(gsi)) {
      const entry = e as RoutingEntryBase & { chip?: number; pin?: number };
      if (entry.kind !== 'irqchip') continue;
      const controller = controllers[entry.chip!];
      if (controller !== undefined && entry.pin! < controller.pins)
        return { controller, pin: entry.pin! };
    }
    throw new IrqError('EINVAL', `gsi ${gsi} is not routed to a controller pin`);
  }

  function cpuAt(i: number): RefVcpuInterface {
    checkRange('vcpu', i, 0, nVcpus - 1);
    return cpus[i]!;
  }

  function withOp<T>(fn: () => T): T {
    host.scheduler.enter();
    try {
      return fn();
    } finally {
      host.scheduler.exit();
    }
  }

  function allocate(gsi: number, target: number, priority: number): number {
    checkRange('target', target, 0, nVcpus - 1);
    checkRange('priority', priority, 0, 11);
    const v = vectors.allocate(gsi, priority);
    if (v < 0) throw new IrqError('ENOSPC', `no free vector at priority ${priority} or above`);
    return v;
  }

  const guest: GuestPort = {
    configure(gsi: number, cfg: LineConfig): void {
      const { controller, pin } = pinOf(gsi);
      if (cfg.trigger !== 'edge' && cfg.trigger !== 'level') {
        throw new IrqError('EINVAL', `trigger '${String(cfg.trigger)}' is not edge or level`);
      }
      const vector = allocate(gsi, cfg.target, cfg.priority);
      withOp(() => controller.program(pin, { vector, trigger: cfg.trigger, target: cfg.target }));
    },
    mask(gsi: number): void {
      const { controller, pin } = pinOf(gsi);
      withOp(() => controller.program(pin, { masked: true }));
    },
    unmask(gsi: number): void {
      const { controller, pin } = pinOf(gsi);
      withOp(() => controller.program(pin, { masked: false }));
    },
    take(vcpu: number): number | null {
      const v = cpuAt(vcpu).take();
      if (v < 0) return null;
      if (trace.enabled) trace.emit({ type: 'take', vcpu, token: v });
      return v;
    },
    eoi(vcpu: number, token: number): void {
      const cpu = cpuAt(vcpu);
      // A bracket, not withOp(): the EOI is on the hot path and must not allocate a closure.
      host.scheduler.enter();
      try {
        const v = cpu.eoi();
        if (v < 0) return;
        if (trace.enabled) trace.emit({ type: 'eoi', vcpu, token });
        for (let i = 0; i < controllers.length; i++) controllers[i]!.eoi(v);
      } finally {
        host.scheduler.exit();
      }
    },
    configureMsi(gsi: number, cfg: MsiConfig): void {
      const vector = allocate(gsi, cfg.target, cfg.priority);
      const others = vm.router.entries().filter((e) => e.gsi !== gsi);
      vm.setGsiRouting([...others, { gsi, kind: 'msi', ...composeMsi(cfg.target, vector) }]);
    },
  };

  const capabilities: MachineCapabilities = {
    lineGsis,
    resample: withIrqchip,
    msi: withIrqchip,
    msiBypass: withIrqchip ? 'post' : 'none',
    forwarding: withIrqchip,
    saveRestore: true,
    maxVcpus: 255,
  };

  return {
    arch: 'reference',
    host,
    vm,
    vcpus: nVcpus,
    counters,
    trace,
    guest,
    capabilities,
    controllers,
    cpu: cpuAt,
    vectorOf: (gsi) => vectors.vectorOf(gsi),
    destroy: () => vm.destroy(),
    vcpuCounters: (i) => cpuAt(i).counters,
    runState: (i) => cpuAt(i).state,
    setRunState(i, state) {
      cpuAt(i).state = state;
    },
    save(): MachineSnapshot {
      const state: SavedState = {
        pins: controllers.map((c) => c.pin.map(({ hw: _hw, ...rest }) => ({ ...rest }))),
        cpus: cpus.map((c) => ({ irr: c.irr.toArray(), isr: c.isr.toArray(), state: c.state })),
        vectors: vectors.save(),
      };
      return { arch: 'reference', vm: vm.save(), state: state as unknown as JsonValue };
    },
    restore(snapshot: MachineSnapshot): void {
      if (snapshot.arch !== 'reference') {
        throw new IrqError('EINVAL', `snapshot is for '${snapshot.arch}', not 'reference'`);
      }
      const s = snapshot.state as unknown as SavedState;
      if (s.pins.length !== controllers.length || s.cpus.length !== cpus.length) {
        throw new IrqError('EINVAL', 'snapshot was taken from a machine with other options');
      }
      vm.restore(snapshot.vm);
      controllers.forEach((c, i) => {
        s.pins[i]!.forEach((p, pin) => {
          c.pin[pin] = { ...p, hw: c.pin[pin]?.hw ?? null };
        });
      });
      cpus.forEach((c, i) => {
        const saved = s.cpus[i]!;
        c.irr.fromArray(saved.irr);
        c.isr.fromArray(saved.isr);
        c.state = saved.state;
      });
      vectors.restore(s.vectors);
    },
  };
}
