import {
  Counters,
  checkRange,
  type Delivery,
  type GuestPort,
  Host,
  IrqError,
  type Machine,
  type MachineCapabilities,
  type MachineSnapshot,
  type RoutingEntry,
  Trace,
  type VcpuRunState,
  Vm,
} from '@irqkit/core';
import { createArmArch, createIrqchip } from './arch.js';
import { GuestBus } from './bus.js';
import { NR_PRIVATE_IRQS, NR_SGIS, VGIC_V2_MAX_CPUS, VGIC_V3_MAX_CPUS } from './constants.js';
import { GicFrame } from './frames.js';
import { CpuInterface } from './gic/cpu-interface.js';
import { setDistEnabled } from './gic/dist.js';
import type { PhysIrqOps, VgicIrq } from './gic/irq.js';
import { REDIST_SIZE } from './gic/redist.js';
import { SYSREGS } from './gic/sysregs.js';
import { ArmGuestPort } from './guest-port.js';
import { Its } from './its/its.js';
import { defaultLayout, type GicLayout } from './layout.js';
import { GuestMemory } from './memory.js';
import { type ArmMachineOptions, resolveOptions } from './options.js';
import { restoreArmState, saveArmState } from './state.js';
import { UserAccess } from './user-access.js';
import { type ForwardRequest, SpiForwarding } from './vgic/forward.js';
import { mapPhysIrq, unmapPhysIrq } from './vgic/hw.js';
import { injectIrq } from './vgic/queue.js';
import { setRunState } from './vgic/run.js';
import type { VgicCpu } from './vgic/vcpu.js';
import { Vgic } from './vgic/vgic.js';
import './trace.js';

/** A userspace line injection (`KVM_IRQ_LINE` with an ARM irq type, ARM-1.5). */
export interface LineInjection {
  /** SPI (INTID 32 …) or PPI (INTID 16..31 of `vcpu`). */
  readonly kind: 'spi' | 'ppi';
  /** Target vCPU (PPIs only). */
  readonly vcpu?: number;
  /** The INTID. */
  readonly intid: number;
  /** Asserted or not. */
  readonly level: boolean | number;
}

/** The guest's memory-mapped GIC frames, accessed from a given vCPU. */
export interface Mmio {
  /** Reads 1, 2 or 4 bytes (anything else reads 0). */
  read(vcpu: number, addr: number, size: number): number;
  /** Writes 1, 2 or 4 bytes (anything else is ignored). */
  write(vcpu: number, addr: number, size: number, value: number): void;
  /** Reads 8 bytes (registers that accept 64-bit accesses; else 0). */
  read64(vcpu: number, addr: number): bigint;
  /** Writes 8 bytes. */
  write64(vcpu: number, addr: number, value: bigint): void;
}

/** The GICv3 CPU-interface system registers (ICC_*_EL1), by name. */
export interface SysregAccess {
  /** Reads `name` on `vcpu`. @throws IrqError EINVAL for an unknown name (caller error). */
  read(vcpu: number, name: string): number;
  /** Writes `name` on `vcpu`. @throws IrqError EINVAL for an unknown name. */
  write(vcpu: number, name: string, value: number | bigint): void;
}

/**
 * An ARM machine: a core {@link Machine} whose interrupt controller is KVM's VGIC (GICv2 or
 * GICv3 with optional ITS and GICv4). See the package documentation for the model.
 */
export class ArmMachine implements Machine {
  /** `'arm'`. */
  readonly arch: string = 'arm';
  /** The host kernel. */
  readonly host: Host;
  /** The VM's core plumbing. */
  readonly vm: Vm;
  /** Number of vCPUs. */
  readonly vcpus: number;
  /** Machine-wide counters (arm.md §7 names; per-vCPU sets add into them). */
  readonly counters: Counters;
  /** Machine trace. */
  readonly trace: Trace;
  /** The arch-neutral guest verbs. */
  readonly guest: GuestPort;
  /** Declared capabilities. */
  readonly capabilities: MachineCapabilities;
  /** The VGIC state (distributor, redistributors, vCPU interfaces, LPIs). */
  readonly gic: Vgic;
  /** Guest RAM (ITS tables, LPI configuration and pending tables live here). */
  readonly memory: GuestMemory;
  /** Guest physical addresses of the GIC frames. */
  readonly layout: GicLayout;
  /** The ITS, or null. */
  readonly its: Its | null;
  /** Guest MMIO accesses (distributor, redistributors, ITS trap; GICV does not). */
  readonly mmio: Mmio;
  /** Guest system-register accesses (GICv3 CPU interface). */
  readonly sysreg: SysregAccess;
  /** Userspace (VMM) device-attribute accesses: save/restore registers, ITS tables. */
  readonly user: UserAccess;
  /** The distributor frame, as the guest accesses it. */
  readonly distributor: GicFrame;
  /** The ITS register frame, as the guest accesses it (null without an ITS). */
  readonly itsFrame: GicFrame | null;
  private readonly bus: GuestBus;
  private readonly cpus: CpuInterface[];
  private readonly fwd: SpiForwarding;

  /** @param options - see {@link ArmMachineOptions}. @throws IrqError EINVAL for bad options */
  constructor(options: ArmMachineOptions) {
    const r = resolveOptions(options);
    this.host = options.host ?? new Host();
    this.counters = new Counters();
    this.trace = new Trace();
    this.memory = new GuestMemory(r.memorySize);
    const gic = new Vgic(r.config, this.host, this.memory, this.counters, this.trace, 'host');
    this.gic = gic;
    this.vcpus = r.config.vcpus;
    this.its = r.config.its ? new Its(gic, r.itsBase, r.itsCache) : null;
    gic.its = this.its;
    this.fwd = new SpiForwarding(gic);
    this.vm = new Vm({
      host: this.host,
      arch: createArmArch(gic, this.fwd),
      counters: this.counters,
      trace: this.trace,
    });
    gic.vm = this.vm;
    this.vm.addChip(createIrqchip(gic));
    this.layout = defaultLayout(r.itsBase);
    this.cpus = gic.vcpus.map((v) => new CpuInterface(gic, v));
    const bus = new GuestBus(gic, this.layout, (n) => this.cpus[n]!, true);
    this.bus = bus;
    const vcpuOf = (n: number) => this.vcpuState(n);
    this.distributor = new GicFrame(bus, this.layout.dist, vcpuOf);
    this.itsFrame = this.its === null ? null : new GicFrame(bus, this.layout.its, vcpuOf);
    const setupBus = new GuestBus(gic, this.layout, (n) => this.cpus[n]!, false);
    this.mmio = {
      read: (vcpu, addr, size) => bus.read(this.vcpuState(vcpu), addr, size),
      write: (vcpu, addr, size, value) => bus.write(this.vcpuState(vcpu), addr, size, value),
      read64: (vcpu, addr) => bus.read64(this.vcpuState(vcpu), addr),
      write64: (vcpu, addr, value) => bus.write64(this.vcpuState(vcpu), addr, value),
    };
    this.sysreg = {
      read: (vcpu, name) => {
        const reg = sysregNamed(gic, name);
        return reg.read === undefined ? 0 : reg.read(this.cpu(vcpu));
      },
      write: (vcpu, name, value) => {
        const reg = sysregNamed(gic, name);
        const v = typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value) || 0));
        reg.write?.(this.cpu(vcpu), v);
      },
    };
    this.user = new UserAccess(gic, this.layout);
    this.guest = new ArmGuestPort(this, setupBus);
    this.capabilities = {
      lineGsis: Array.from({ length: Math.min(16, r.config.nrSpis) }, (_, i) => i),
      resample: true,
      msi: r.config.its,
      msiBypass: gic.directMsis ? 'post' : 'none',
      forwarding: r.config.forwardSpis,
      saveRestore: true,
      maxVcpus: r.config.model === 'v2' ? VGIC_V2_MAX_CPUS : VGIC_V3_MAX_CPUS,
    };
    if (r.init) this.init();
    if (r.guestInit) {
      setDistEnabled(gic, true);
      for (const v of gic.vcpus) {
        v.pmr = 0xf8;
        v.grpEn1 = true;
        if (!gic.v3) v.grpEn0 = true;
      }
    }
    const start = r.init || !gic.v3 ? r.runState : 'host';
    for (const v of gic.vcpus) setRunState(gic, v, start);
  }

  /**
   * KVM_DEV_ARM_VGIC_CTRL_INIT: allocates the SPIs and installs the default routing GSI i →
   * SPI 32 + i (ARM-4.4). Idempotent.
   */
  init(): void {
    if (!this.gic.init()) return;
    const table: RoutingEntry[] = [];
    for (let i = 0; i < this.gic.nrSpis; i++)
      table.push({ gsi: i, kind: 'irqchip', chip: 0, pin: i });
    this.vm.setGsiRouting(table);
  }

  /** KVM_DEV_ARM_VGIC_GRP_NR_IRQS (ARM-1.2). @throws IrqError EINVAL, EBUSY */
  setNrIrqs(nrIrqs: number): void {
    this.gic.setNrIrqs(nrIrqs);
  }

  /**
   * The redistributor of `vcpu` (GICv3): RD_base at offset 0, the SGI frame at 0x10000.
   * @throws IrqError EINVAL for a bad index or on a GICv2.
   */
  redistributor(vcpu: number): GicFrame {
    checkRange('vcpu', vcpu, 0, this.vcpus - 1);
    if (!this.gic.v3) throw new IrqError('EINVAL', 'a GICv2 has no redistributors');
    return new GicFrame(this.bus, this.layout.redist + vcpu * REDIST_SIZE, (n) =>
      this.vcpuState(n),
    );
  }

  /** The guest's virtual CPU interface on `vcpu`. @throws IrqError EINVAL for a bad index */
  cpu(vcpu: number): CpuInterface {
    checkRange('vcpu', vcpu, 0, this.vcpus - 1);
    return this.cpus[vcpu]!;
  }

  /** The VGIC state of `vcpu` (ap_list, list registers, ICH_HCR, …). */
  vcpuState(vcpu: number): VgicCpu {
    checkRange('vcpu', vcpu, 0, this.vcpus - 1);
    return this.gic.vcpus[vcpu]!;
  }

  /** The interrupt `intid` (private ones of `vcpu`), or undefined. */
  irq(intid: number, vcpu = 0): VgicIrq | undefined {
    return this.gic.irq(this.vcpuState(vcpu), intid);
  }

  /**
   * `KVM_IRQ_LINE` with an ARM type (ARM-1.1, 1.5, 1.7): the ioctl succeeds and reports the
   * Delivery of ARM-4.2 in `status`.
   * @throws IrqError EINVAL for a PPI without vCPU, an INTID outside the kind's range, a bad
   * level; EBUSY on an uninitialised GICv3 (a GICv2 initialises lazily).
   */
  injectLine(line: LineInjection, owner: object | null = null): { status: Delivery } {
    const gic = this.gic;
    const level =
      typeof line.level === 'boolean' ? line.level : checkRange('level', line.level, 0, 1) === 1;
    let v: VgicCpu | null = null;
    if (line.kind === 'ppi') {
      if (line.vcpu === undefined) throw new IrqError('EINVAL', 'a PPI needs a target vCPU');
      v = this.vcpuState(line.vcpu);
      checkRange('PPI intid', line.intid, NR_SGIS, NR_PRIVATE_IRQS - 1);
    } else if (line.kind === 'spi') {
      checkRange('SPI intid', line.intid, NR_PRIVATE_IRQS, gic.nrIrqs - 1);
    } else {
      throw new IrqError('EINVAL', `line kind '${String(line.kind)}' is not 'spi' or 'ppi'`);
    }
    this.requireInit();
    const irq = gic.irq(v, line.intid)!;
    const s = this.vm.scheduler;
    s.enter();
    try {
      return { status: injectIrq(gic, irq, level, owner) };
    } finally {
      s.exit();
    }
  }

  /**
   * `kvm_vgic_set_owner`: an in-kernel device (timer, PMU) claims a PPI or SPI; other callers'
   * injections are then ignored (ARM-1.5).
   * @throws IrqError EINVAL for a bad INTID; EBUSY if another owner holds it.
   */
  setOwner(vcpu: number, intid: number, owner: object): void {
    this.requireInit();
    const irq = intid >= NR_SGIS && intid < this.gic.nrIrqs ? this.irq(intid, vcpu) : undefined;
    if (irq === undefined) throw new IrqError('EINVAL', `INTID ${String(intid)} cannot be owned`);
    if (irq.owner !== null && irq.owner !== owner)
      throw new IrqError('EBUSY', `INTID ${intid} is owned`);
    irq.owner = owner;
  }

  /** ARM-3.14 `kvm_vgic_map_phys_irq`. @throws IrqError EINVAL */
  mapPhysIrq(vcpu: number, hostIrq: number, vintid: number, ops?: PhysIrqOps): void {
    this.requireInit();
    mapPhysIrq(this.gic, this.vcpuState(vcpu), hostIrq, vintid, ops);
  }

  /** ARM-3.14 `kvm_vgic_unmap_phys_irq`. @throws IrqError EAGAIN, EINVAL */
  unmapPhysIrq(vcpu: number, vintid: number): void {
    unmapPhysIrq(this.gic, this.vcpuState(vcpu), vintid);
  }

  /** ARM-3.14 `kvm_vgic_get_map`: the physical INTID of a mapped IRQ, or −1. */
  getMap(vintid: number, vcpu = 0): number {
    const irq = this.irq(vintid, vcpu);
    return irq?.hw === true && irq.hwLine !== null ? irq.hwintid : -1;
  }

  /** ARM-3.14 `kvm_vgic_map_is_active`. */
  mapIsActive(vintid: number, vcpu = 0): boolean {
    const irq = this.irq(vintid, vcpu);
    return irq?.hw === true && irq.active;
  }

  /** ARM-3.14 `kvm_vgic_reset_mapped_irq`: clears active, latch and line of a mapped IRQ. */
  resetMappedIrq(vintid: number, vcpu = 0): void {
    const irq = this.irq(vintid, vcpu);
    if (irq === undefined || !irq.hw) return;
    irq.active = false;
    irq.pendingLatch = false;
    irq.lineLevel = false;
  }

  /** ARM-3.19 forward a VFIO platform level IRQ to a GSI (seed 001). @throws IrqError */
  forward(req: ForwardRequest): void {
    const s = this.vm.scheduler;
    s.enter();
    try {
      this.fwd.forward(req);
    } finally {
      s.exit();
    }
  }

  /** ARM-3.20 stop forwarding (allowed at any time). @throws IrqError EINVAL for a bad IRQ */
  unforward(req: ForwardRequest): void {
    const s = this.vm.scheduler;
    s.enter();
    try {
      this.fwd.unforward(req);
    } finally {
      s.exit();
    }
  }

  /** The counters of `vcpu`. */
  vcpuCounters(vcpu: number): Counters {
    return this.vcpuState(vcpu).counters;
  }

  /** Where `vcpu` is. */
  runState(vcpu: number): VcpuRunState {
    return this.vcpuState(vcpu).runState;
  }

  /**
   * Moves `vcpu` to `state`: `'guest'` runs it (entering flushes the list registers),
   * `'host'` exits to the host, `'preempted'` deschedules it, `'blocked'` waits in WFI
   * (a doorbell or kick wakes it). A GICv3 VGIC must be initialised to run (EBUSY).
   */
  setRunState(vcpu: number, state: VcpuRunState): void {
    const v = this.vcpuState(vcpu);
    if (state !== 'guest' && state !== 'host' && state !== 'preempted' && state !== 'blocked') {
      throw new IrqError('EINVAL', `run state '${String(state)}' is invalid`);
    }
    if (state === 'guest' && !this.gic.initialized) {
      if (this.gic.v3)
        throw new IrqError('EBUSY', 'a GICv3 VGIC must be initialised before running');
      this.init();
    }
    const s = this.vm.scheduler;
    s.enter();
    try {
      setRunState(this.gic, v, state);
    } finally {
      s.exit();
    }
  }

  /** Saves the distributor, redistributors, list registers, ITS and guest RAM. */
  save(): MachineSnapshot {
    return { arch: 'arm', vm: this.vm.save(), state: saveArmState(this.gic) };
  }

  /**
   * Restores a snapshot from a machine created with the same options.
   * @throws IrqError EINVAL for a snapshot of another arch or shape.
   */
  restore(snapshot: MachineSnapshot): void {
    if (snapshot.arch !== 'arm') throw new IrqError('EINVAL', `snapshot is for '${snapshot.arch}'`);
    if (!this.gic.initialized) this.init();
    const s = this.vm.scheduler;
    s.enter();
    try {
      this.vm.restore(snapshot.vm);
      restoreArmState(this.gic, snapshot.state);
    } finally {
      s.exit();
    }
  }

  private requireInit(): void {
    if (this.gic.initialized) return;
    if (this.gic.v3) throw new IrqError('EBUSY', 'the VGIC is not initialised');
    this.init(); // vgic_lazy_init: GICv2 only
  }
}

function sysregNamed(gic: Vgic, name: string): (typeof SYSREGS)[string] & object {
  const reg = gic.v3 ? SYSREGS[name] : undefined;
  if (reg === undefined)
    throw new IrqError('EINVAL', `no system register '${String(name)}' on this GIC`);
  return reg;
}

/**
 * Creates an ARM machine: a VGIC (v2 or v3) with `listRegisters` LRs per vCPU, optional ITS
 * and GICv4, the default identity routing, counters and trace.
 * @throws IrqError EINVAL for invalid options.
 */
export function createArmMachine(options: ArmMachineOptions): ArmMachine {
  return new ArmMachine(options);
}
