import {
  Counters,
  checkRange,
  type Host,
  type IrqchipRoutingEntry,
  IrqError,
  type JsonValue,
  type Machine,
  type MachineCapabilities,
  type MachineSnapshot,
  type RoutingEntryBase,
  Trace,
  type VcpuRunState,
  Vm,
} from '@irqkit/core';
import type { ApicMap } from './apic/map.js';
import { X86Arch } from './arch.js';
import type { VirtualClock } from './clock.js';
import {
  guestEoi,
  guestHlt,
  guestMmioRead,
  guestMmioWrite,
  guestPioRead,
  guestPioWrite,
  guestRdmsr,
  guestTpr,
  guestWrmsr,
} from './guest-access.js';
import { LINE_GSIS, X86GuestPort } from './guest-port.js';
import { Ioapic } from './ioapic/ioapic.js';
import { IOAPIC_NUM_PINS } from './ioapic/regs.js';
import { getIoapicState, type KvmIoapicState, setIoapicState } from './ioapic/state.js';
import type { Lapic } from './lapic/lapic.js';
import { MSR_IA32_APICBASE } from './lapic/regs.js';
import { getLapicState, type LapicState, setLapicState } from './lapic/state.js';
import {
  MAX_VCPUS,
  type ResolvedX86Options,
  resolveOptions,
  type X86MachineOptions,
} from './options.js';
import { type KvmPicState, PicPair } from './pic/pic.js';
import { Platform } from './platform.js';
import { PostedIrte } from './posted/bypass.js';
import type { PostedInterruptDescriptor } from './posted/pid.js';
import { checkState, loadState, saveState } from './snapshot.js';
import { Vcpu } from './vcpu.js';

/** What an IRTE does with a host MSI: remapped to the host, or posted to (vCPU, vector). */
export type IrteInfo =
  | { readonly mode: 'remapped' }
  | { readonly mode: 'posted'; readonly vcpu: number; readonly vector: number };

/**
 * An x86 virtual machine's interrupt plumbing (spec/x86.md): the core {@link Vm} with KVM's
 * x86 IOAPIC, local APICs, MSI decode and posted interrupts, the `GuestPort`, counters
 * and trace. Created by {@link createX86Machine}.
 */
export class X86Machine implements Machine {
  /** `'x86'`. */
  readonly arch: string = 'x86';
  /** The host kernel. */
  readonly host: Host;
  /** The core VM: routing table, irqfds, `irqLine`, `signalMsi`, ack notifiers. */
  readonly vm: Vm;
  /** Number of vCPUs. */
  readonly vcpus: number;
  /** Machine counters (vCPU counters add into them). */
  readonly counters: Counters;
  /** Machine trace. */
  readonly trace: Trace;
  /** The guest verbs (X86-8). */
  readonly guest: X86GuestPort;
  /** Declared capabilities. */
  readonly capabilities: MachineCapabilities;
  /** Resolved options. */
  readonly options: ResolvedX86Options;
  /** The IOAPIC (in-kernel for `full`, the VMM's for `split` / `none`). */
  readonly ioapic: Ioapic;
  /** Virtual time (the IOAPIC storm guard's 10 ms delay). */
  readonly clock: VirtualClock;
  private readonly p: Platform;

  /** @param options - see {@link X86MachineOptions}. */
  constructor(options: X86MachineOptions = {}) {
    const opts = resolveOptions(options);
    this.options = opts;
    this.host = opts.host;
    this.vcpus = opts.vcpus;
    this.counters = new Counters();
    this.trace = new Trace();
    const p = new Platform(opts, this.counters, this.trace);
    this.p = p;
    this.clock = p.clock;
    this.vm = new Vm({
      host: opts.host,
      arch: new X86Arch(p),
      counters: this.counters,
      trace: this.trace,
    });
    p.vm = this.vm;
    for (let i = 0; i < opts.vcpus; i++) p.vcpus.push(new Vcpu(i, p, this.counters));
    this.ioapic = new Ioapic(p);
    p.ioapic = this.ioapic;
    if (opts.irqchip === 'full') {
      this.vm.addChip(this.ioapic);
      if (opts.pic) {
        const pic = new PicPair(p);
        p.pic = pic;
        this.vm.addChip(pic.chips[0]);
        this.vm.addChip(pic.chips[1]);
      }
      this.vm.setGsiRouting(defaultRouting(opts.pic)); // X86-1.3
    }
    p.rescanEoiAll();
    this.guest = new X86GuestPort(p);
    this.capabilities = Object.freeze({
      lineGsis: LINE_GSIS,
      resample: opts.irqchip === 'full',
      msi: opts.irqchip !== 'none',
      msiBypass: opts.devicePosting ? 'post' : 'none',
      forwarding: false,
      saveRestore: true,
      maxVcpus: MAX_VCPUS,
      maskedEdge: 'lost', // X86-2.11 (kernel IOAPIC) and X86-2.19 (QEMU's): edges on a masked pin are dropped
    });
  }

  // ---- vCPUs -----------------------------------------------------------------------------------

  /** vCPU `n` (its LAPIC, PID, run state, pending events). @throws IrqError EINVAL */
  vcpu(n: number): Vcpu {
    // One element load and one compare on the common path (a simulated guest looks its vCPU
    // up several times per interrupt); `index === n` also rejects what indexes the array
    // without being a vCPU number ('0'). Anything else gets the range check's error.
    const v = this.p.vcpus[n];
    if (v !== undefined && v.index === n) return v;
    checkRange('vcpu', n, 0, this.vcpus - 1);
    return this.p.vcpus[n]!;
  }

  /** vCPU `n`'s local APIC. @throws IrqError EINVAL */
  lapic(n: number): Lapic {
    return this.vcpu(n).lapic;
  }

  /** vCPU `n`'s posted-interrupt descriptor. @throws IrqError EINVAL */
  pid(n: number): PostedInterruptDescriptor {
    return this.vcpu(n).pid;
  }

  /** The counters of vCPU `n`. @throws IrqError EINVAL */
  vcpuCounters(n: number): Counters {
    return this.vcpu(n).counters;
  }

  /** Where vCPU `n` is. @throws IrqError EINVAL */
  runState(n: number): VcpuRunState {
    return this.vcpu(n).state;
  }

  /**
   * Moves vCPU `n` (X86-6.3, 6.4): entering the guest syncs PIR; preempting sets SN and
   * blocking arms the wakeup vector when posting is armed; loading undoes both.
   * @throws IrqError EINVAL for a bad vCPU or state.
   */
  setRunState(n: number, state: VcpuRunState): void {
    const v = this.vcpu(n);
    // Four identity compares (interned strings), not an includes() on a list of the
    // four: that is a builtin call on every run-state change a simulated guest makes.
    if (state !== 'guest' && state !== 'host' && state !== 'blocked' && state !== 'preempted')
      throw new IrqError('EINVAL', `run state '${String(state)}' is invalid`);
    // An explicit bracket, not bracket(): run-state changes happen around every interrupt a
    // simulated guest takes, and a closure here allocates each time.
    const s = this.vm.scheduler;
    s.enter();
    try {
      v.setState(state);
    } finally {
      s.exit();
    }
  }

  /** The guest on vCPU `n` sets (true) or clears interruptibility (RFLAGS.IF / STI shadow). */
  setInterruptible(n: number, on: boolean): void {
    const v = this.vcpu(n);
    if (typeof on !== 'boolean') throw new IrqError('EINVAL', 'interruptible must be a boolean');
    v.setInterruptible(on);
  }

  /** The guest on vCPU `n` executes HLT (X86-7.1). */
  hlt(n: number): void {
    const v = this.vcpu(n);
    const s = this.vm.scheduler; // explicit bracket: HLT is on the simulated guest's idle path
    s.enter();
    try {
      guestHlt(this.p, v);
    } finally {
      s.exit();
    }
  }

  /** Software-enables every local APIC (SPIV = 0x1FF), as a booted guest has. */
  enableApics(): void {
    for (const v of this.p.vcpus) v.lapic.spiv = (v.lapic.spiv & ~0xff) | 0x1ff;
    this.p.apicChanged();
  }

  // ---- guest register accesses (never throw on guest values) ---------------------------------

  /** A guest MMIO read by vCPU `n` (IOAPIC window or that vCPU's xAPIC window). */
  mmioRead(n: number, address: number, len: number): number {
    const v = this.vcpu(n);
    return guestMmioRead(this.p, v, address, len);
  }

  /** A guest MMIO write by vCPU `n`. */
  mmioWrite(n: number, address: number, value: number | bigint, len: number): void {
    const v = this.vcpu(n);
    guestMmioWrite(this.p, v, address, value, len);
  }

  /** A guest RDMSR on vCPU `n`: the value, or `undefined` for #GP. */
  rdmsr(n: number, msr: number): bigint | undefined {
    const v = this.vcpu(n);
    return guestRdmsr(this.p, v, msr);
  }

  /** A guest WRMSR on vCPU `n`: false means #GP (nothing changed). */
  wrmsr(n: number, msr: number, value: number | bigint): boolean {
    const v = this.vcpu(n);
    return guestWrmsr(this.p, v, msr, value);
  }

  /** WRMSR IA32_APIC_BASE (enable / x2APIC switch, X86-4.1). false = #GP. */
  setApicBase(n: number, value: number): boolean {
    return this.wrmsr(n, MSR_IA32_APICBASE, value);
  }

  /** A guest EOI on vCPU `n` (X86-4.12). @returns the completed vector, or −1 */
  eoi(n: number): number {
    return guestEoi(this.p, this.vcpu(n));
  }

  /** A guest IN from port `port` (the PIC's ports, X86-3.1) on vCPU `n`. */
  pioRead(n: number, port: number, len = 1): number {
    const v = this.vcpu(n);
    return guestPioRead(this.p, v, port, len);
  }

  /** A guest OUT to port `port` on vCPU `n`. */
  pioWrite(n: number, port: number, value: number, len = 1): void {
    const v = this.vcpu(n);
    guestPioWrite(this.p, v, port, value, len);
  }

  /** A guest TPR write (CR8) on vCPU `n`. */
  setTpr(n: number, tpr: number): void {
    const v = this.vcpu(n);
    guestTpr(this.p, v, (tpr >>> 0) & 0xff);
  }

  // ---- device-model and VMM views --------------------------------------------------------------

  /** KVM_GET_IRQCHIP for the IOAPIC (X86-2.17). */
  getIoapicState(): KvmIoapicState {
    return getIoapicState(this.ioapic);
  }

  /** KVM_SET_IRQCHIP for the IOAPIC (X86-2.17). @throws IrqError EINVAL */
  setIoapicState(state: KvmIoapicState): void {
    setIoapicState(this.p, this.ioapic, state);
  }

  /** Resets the IOAPIC (X86-2.18). */
  resetIoapic(): void {
    this.ioapic.reset();
    this.p.rescanEoiAll();
  }

  /** The 8259 pair, or null (`pic: false`, split, none). */
  get pic(): PicPair | null {
    return this.p.pic;
  }

  /** KVM_GET_IRQCHIP for PIC master (0) or slave (1). @throws IrqError ENXIO without a PIC */
  getPicState(chip: 0 | 1): KvmPicState {
    return this.needPic(chip).getState(chip);
  }

  /** KVM_SET_IRQCHIP for PIC master (0) or slave (1). @throws IrqError ENXIO / EINVAL */
  setPicState(chip: 0 | 1, state: KvmPicState): void {
    this.needPic(chip).setState(chip, state);
  }

  private needPic(chip: number): PicPair {
    if (this.p.pic === null) throw new IrqError('ENXIO', 'this machine has no PIC');
    if (chip !== 0 && chip !== 1)
      throw new IrqError('EINVAL', `PIC chip ${String(chip)} must be 0 or 1`);
    return this.p.pic;
  }

  /** KVM_GET_LAPIC for vCPU `n`. */
  getLapicState(n: number): LapicState {
    return getLapicState(this.p, this.vcpu(n));
  }

  /** KVM_SET_LAPIC for vCPU `n` (resets its arbitration counter). @throws IrqError EINVAL */
  setLapicState(n: number, state: LapicState): void {
    setLapicState(this.p, this.vcpu(n), state);
  }

  /** The optimised APIC map, rebuilt if stale (X86-4.10). */
  apicMap(): ApicMap {
    return this.p.bus.apicMap();
  }

  /** How the IRTE of host IRQ `irq` is programmed (X86-6.6). @throws IrqError EINVAL */
  irte(irq: number): IrteInfo {
    const d = this.host.irqs.get(irq);
    if (d === undefined || !('posted' in d))
      throw new IrqError('EINVAL', `host irq ${irq} is not an MSI`);
    const t = d.posted;
    if (t instanceof PostedIrte) return { mode: 'posted', vcpu: t.vcpu.index, vector: t.vector };
    return { mode: 'remapped' };
  }

  /** KVM's possible-bypass IRQ count (X86-6.9). */
  get bypassCount(): number {
    return this.p.bypassCount;
  }

  /** Advances virtual time by `ns` nanoseconds, firing due timers. @throws IrqError EINVAL */
  advanceTime(ns: number): void {
    if (typeof ns !== 'number' || !Number.isFinite(ns) || ns < 0) {
      throw new IrqError('EINVAL', `time step ${String(ns)} must be a finite number ≥ 0`);
    }
    this.bracket(() => this.clock.advance(ns));
  }

  // ---- save / restore --------------------------------------------------------------------------

  /** Saves routing, line sources, IOAPIC, LAPICs, PIDs and run states exactly. */
  save(): MachineSnapshot {
    return {
      arch: 'x86',
      vm: this.vm.save(),
      state: saveState(this.p, this.guest) as unknown as JsonValue,
    };
  }

  /**
   * Restores a snapshot of a machine with the same vCPU count and irqchip mode.
   * @throws IrqError EINVAL for a foreign or malformed snapshot (nothing changes).
   */
  restore(snapshot: MachineSnapshot): void {
    if (typeof snapshot !== 'object' || snapshot === null || snapshot.arch !== 'x86') {
      throw new IrqError('EINVAL', 'not an x86 machine snapshot');
    }
    const st = checkState(this.p, snapshot.state);
    this.vm.restore(snapshot.vm);
    loadState(this.p, this.guest, st);
  }

  private bracket(fn: () => void): void {
    const s = this.vm.scheduler;
    s.enter();
    try {
      fn();
    } finally {
      s.exit();
    }
  }
}

/**
 * X86-1.3: KVM's default routing — GSI n → IOAPIC pin n for n in 0..23 and, with the PIC,
 * GSI n → PIC master (n < 8) or slave (8 ≤ n < 16) pin n mod 8, each after its IOAPIC entry.
 */
export function defaultRouting(pic = true): RoutingEntryBase[] {
  const out: RoutingEntryBase[] = [];
  for (let n = 0; n < IOAPIC_NUM_PINS; n++) {
    out.push({ gsi: n, kind: 'irqchip', chip: 2, pin: n } as IrqchipRoutingEntry);
    if (pic && n < 16)
      out.push({ gsi: n, kind: 'irqchip', chip: n >> 3, pin: n & 7 } as IrqchipRoutingEntry);
  }
  return out;
}

/**
 * Creates an x86 machine (spec/x86.md §0).
 * @throws IrqError EINVAL for invalid options (X86-0.1).
 */
export function createX86Machine(options: X86MachineOptions = {}): X86Machine {
  return new X86Machine(options);
}
