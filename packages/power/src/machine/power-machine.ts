import {
  Counters,
  Host,
  IrqError,
  type MachineCapabilities,
  type MachineSnapshot,
  Trace,
  type VcpuRunState,
  Vm,
} from '@irqkit/core';
import {
  FIRST_IRQ,
  KVM_DEV_XICS_GRP_SOURCES,
  MASKED,
  NR_IRQS,
  QEMU_RTAS_TOKENS,
  RTAS_NAMES,
  type RtasName,
  U64_MAX,
  XICS_HCALLS,
} from '../xics/constants.js';
import { XicsContext } from '../xics/context.js';
import { TRIGGER_NO_DEVICE } from '../xics/xics.js';
import { GuestCalls, type HcallResult, type RtasCall } from './guest-calls.js';
import { XicsGuestPort } from './guest-port.js';
import { icpView, icsIds, sourceView } from './inspect.js';
import { PowerKernel, type PowerProfile } from './kernel.js';
import { XicsPassthrough } from './passthrough.js';
import { XicsRouter } from './router.js';
import { restoreState, saveState } from './snapshot.js';
import type { IcpView, PowerMachine, PowerMachineOptions, SourceView } from './types.js';

/** Largest vCPU count (`KVM_MAX_VCPUS` = `NR_CPUS` of a ppc64 defconfig). */
const MAX_VCPUS = 2048;
const RUN_STATES: readonly VcpuRunState[] = ['guest', 'host', 'preempted', 'blocked'];

/** The numbers {@link MachineCapabilities.lineGsis} offers: QEMU's first sPAPR sources. */
const LINE_GSIS: readonly number[] = Object.freeze(
  Array.from({ length: 16 }, (_, i) => 0x1000 + i),
);

class PowerMachineImpl implements PowerMachine {
  readonly arch = 'power' as const;
  readonly host: Host;
  readonly vm: Vm;
  readonly vcpus: number;
  readonly counters: Counters;
  readonly trace: Trace;
  readonly guest: XicsGuestPort;
  readonly capabilities: MachineCapabilities;
  readonly profile: PowerProfile;
  private readonly k: PowerKernel;
  private readonly calls: GuestCalls;
  private readonly perVcpu: Counters[];
  private readonly runStates: Uint8Array;

  constructor(o: PowerMachineOptions) {
    const vcpus = o.vcpus;
    if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) {
      throw new IrqError('EINVAL', `vcpus ${String(vcpus)} is out of range 1..${MAX_VCPUS}`);
    }
    const profile = o.profile ?? 'hv-realmode';
    if (profile !== 'hv-realmode' && profile !== 'virtual') {
      throw new IrqError('EINVAL', `profile ${String(profile)} is not 'hv-realmode' or 'virtual'`);
    }
    const setup = o.xics ?? 'connected';
    if (setup !== 'connected' && setup !== 'device' && setup !== 'none') {
      throw new IrqError('EINVAL', `xics ${String(setup)} is not 'connected', 'device' or 'none'`);
    }
    if (o.host !== undefined && !(o.host instanceof Host)) {
      throw new IrqError('EINVAL', 'host must be a Host');
    }
    const servers = o.servers ?? Array.from({ length: vcpus }, (_, v) => v);
    if (servers.length !== vcpus) {
      throw new IrqError('EINVAL', `${servers.length} server numbers for ${vcpus} vCPUs`);
    }
    this.vcpus = vcpus;
    this.profile = profile;
    this.host = o.host ?? new Host();
    this.counters = new Counters();
    this.trace = new Trace();
    this.perVcpu = Array.from({ length: vcpus }, () => new Counters(this.counters));
    this.runStates = new Uint8Array(vcpus);
    let kernel: PowerKernel | null = null;
    const router = new XicsRouter({ trigger: () => TRIGGER_NO_DEVICE });
    this.vm = new Vm({
      host: this.host,
      counters: this.counters,
      trace: this.trace,
      router,
      arch: {
        name: 'power',
        // PWR-7.3: KVM_IRQ_LINE needs an in-kernel irqchip
        checkIrqLine: () => {
          if (kernel!.xics === null) throw new IrqError('ENXIO', 'no in-kernel XICS');
        },
        // PWR-4.2: KVM_INTERRUPT_UNSET de-asserts; every other non-zero value asserts
        irqLineLevel: (level) => level !== 0 && level !== 0xfffffffe,
        // PWR-7.9: the real-mode passthrough exists only where real mode does
        ...(profile === 'hv-realmode'
          ? { bypass: new XicsPassthrough(() => kernel!, this.counters) }
          : {}),
      },
    });
    const ctx = new XicsContext(this.vm, this.perVcpu, o.hostRedirect ?? true);
    kernel = new PowerKernel(this.vm, vcpus, profile, ctx, this.counters);
    router.sink = kernel;
    this.k = kernel;
    this.calls = new GuestCalls(kernel);
    this.guest = new XicsGuestPort(kernel, this.calls);
    this.capabilities = Object.freeze({
      lineGsis: LINE_GSIS,
      resample: true, // KVM_CAP_IRQFD_RESAMPLE on an XICS host (PWR-7.6)
      msi: true,
      msiBypass: profile === 'hv-realmode' ? ('post' as const) : ('none' as const),
      forwarding: false,
      saveRestore: true,
      maxVcpus: MAX_VCPUS,
    });
    if (setup === 'none') return;
    kernel.createDevice();
    if (o.rtasTokens ?? true) {
      for (const name of RTAS_NAMES) kernel.tokens.define(name, BigInt(QEMU_RTAS_TOKENS[name]));
    }
    if (setup === 'device') return;
    servers.forEach((server, v) => {
      kernel.connectVcpu(v, server);
    });
    if (o.boot ?? true) {
      const x = kernel.xics!;
      for (const icp of x.icps) if (icp !== null) x.downCppr(icp, MASKED);
    }
  }

  // ---- Machine --------------------------------------------------------------------------------

  vcpuCounters(vcpu: number): Counters {
    this.k.checkVcpu(vcpu);
    return this.perVcpu[vcpu]!;
  }

  runState(vcpu: number): VcpuRunState {
    this.k.checkVcpu(vcpu);
    return RUN_STATES[this.runStates[vcpu]!]!;
  }

  setRunState(vcpu: number, state: VcpuRunState): void {
    this.k.checkVcpu(vcpu);
    // Identity compares (interned strings), not RUN_STATES.indexOf: a builtin call on every
    // run-state change a simulated guest makes. The codes are RUN_STATES' indices.
    const code =
      state === 'guest'
        ? 0
        : state === 'host'
          ? 1
          : state === 'preempted'
            ? 2
            : state === 'blocked'
              ? 3
              : -1;
    if (code < 0) throw new IrqError('EINVAL', `run state ${String(state)} is unknown`);
    this.runStates[vcpu] = code;
    this.k.ctx.running[vcpu] = code === 0 ? 1 : 0; // 'guest' = on a hardware thread
  }

  save(): MachineSnapshot {
    return {
      arch: 'power',
      vm: this.vm.save(),
      state: saveState(this.k) as unknown as MachineSnapshot['state'],
    };
  }

  restore(snapshot: MachineSnapshot): void {
    if (snapshot.arch !== 'power') {
      throw new IrqError('EINVAL', `snapshot of arch '${String(snapshot.arch)}' is not 'power'`);
    }
    restoreState(this.k, snapshot.state);
    this.vm.restore(snapshot.vm);
    this.guest.reset();
  }

  // ---- device and connection ------------------------------------------------------------------

  get hostRedirect(): boolean {
    return this.k.ctx.hostRedirect;
  }

  set hostRedirect(on: boolean) {
    this.k.ctx.hostRedirect = on === true;
  }

  get timebase(): bigint {
    return this.k.timebase;
  }

  set timebase(tb: bigint) {
    if (typeof tb !== 'bigint' || tb < 0n || tb > U64_MAX) {
      throw new IrqError('EINVAL', `timebase ${String(tb)} is not a u64`);
    }
    this.k.timebase = tb;
  }

  get hasDevice(): boolean {
    return this.k.xics !== null;
  }

  createDevice(): void {
    this.k.createDevice();
  }

  release(): void {
    this.k.release();
    this.guest.reset();
  }

  connectVcpu(vcpu: number, server: number): void {
    this.k.connectVcpu(vcpu, server);
  }

  server(vcpu: number): number | null {
    this.k.checkVcpu(vcpu);
    return this.k.icp(vcpu)?.server ?? null;
  }

  // ---- userspace words ------------------------------------------------------------------------

  setSource(irq: number, word: bigint): void {
    this.k.setSource(irq, word);
  }

  getSource(irq: number): bigint {
    return this.k.getSource(irq);
  }

  hasSource(irq: number): boolean {
    return Number.isInteger(irq) && irq >= FIRST_IRQ && irq < NR_IRQS;
  }

  setAttr(group: number, attr: number, word: bigint): void {
    this.k.device();
    if (group !== KVM_DEV_XICS_GRP_SOURCES) throw noGroup(group);
    this.k.setSource(attr, word);
  }

  getAttr(group: number, attr: number): bigint {
    this.k.device();
    if (group !== KVM_DEV_XICS_GRP_SOURCES) throw noGroup(group);
    return this.k.getSource(attr);
  }

  hasAttr(group: number, attr: number): void {
    this.k.device();
    if (group !== KVM_DEV_XICS_GRP_SOURCES || !this.hasSource(attr)) {
      throw new IrqError('ENXIO', `no attribute ${String(attr)} in group ${String(group)}`);
    }
  }

  setIcp(vcpu: number, word: bigint): void {
    this.k.setIcp(vcpu, word);
  }

  getIcp(vcpu: number): bigint {
    return this.k.getIcp(vcpu);
  }

  // ---- injection ------------------------------------------------------------------------------

  trigger(irq: number, level: number): number {
    checkU32('irq', irq);
    checkU32('level', level);
    const k = this.k;
    const ctx = k.ctx;
    const saved = ctx.begin(-1, false); // host context: kvm_set_irq runs in the host (PWR-8.5)
    try {
      return k.trigger(irq, level);
    } finally {
      ctx.end(saved);
    }
  }

  irqLine(irq: number, level: number | boolean): void {
    this.vm.irqLine({ gsi: irq, level });
  }

  // ---- guest calls ----------------------------------------------------------------------------

  hcall(vcpu: number, nr: number, r4?: bigint | number, r5?: bigint | number): HcallResult {
    return this.calls.hcall(vcpu, nr, r4, r5);
  }

  hXirr(vcpu: number): number {
    return this.calls.xirr(vcpu);
  }

  hCppr(vcpu: number, cppr: number): number {
    return this.calls.cppr(vcpu, cppr);
  }

  hEoi(vcpu: number, xirr: number): number {
    return this.calls.eoi(vcpu, xirr);
  }

  hIpi(vcpu: number, server: number, mfrr: number): number {
    return this.calls.ipi(vcpu, server, mfrr);
  }

  enableHcall(nr: number, enabled: boolean): void {
    if (!XICS_HCALLS.includes(nr)) {
      throw new IrqError('EINVAL', `hcall ${String(nr)} cannot be enabled for in-kernel handling`);
    }
    this.k.enabled[nr >>> 2] = enabled ? 1 : 0;
  }

  defineRtasToken(name: string, token: number | bigint): void {
    if (typeof name !== 'string') throw new IrqError('EINVAL', 'RTAS name must be a string');
    const t = typeof token === 'bigint' ? token : Number.isSafeInteger(token) ? BigInt(token) : -1n;
    if (t < 0n || t > U64_MAX)
      throw new IrqError('EINVAL', `RTAS token ${String(token)} is not a u64`);
    this.k.tokens.define(name, t);
  }

  rtasToken(name: RtasName): number | undefined {
    const t = this.k.tokens.tokenFor(name);
    return t === undefined ? undefined : Number(t);
  }

  rtas(vcpu: number, call: RtasCall): number[] | null {
    return this.calls.rtas(vcpu, call);
  }

  rtasByName(vcpu: number, name: RtasName, args: readonly number[], nret: number): number[] | null {
    const token = this.rtasToken(name);
    if (token === undefined || token > 0xffffffff) {
      throw new IrqError('ENOENT', `no token is bound to '${String(name)}'`);
    }
    return this.calls.rtas(vcpu, { token, nargs: args.length, nret, args });
  }

  // ---- inspection -----------------------------------------------------------------------------

  icpState(vcpu: number): IcpView | null {
    this.k.checkVcpu(vcpu);
    return icpView(this.k.icp(vcpu));
  }

  sourceState(irq: number): SourceView | null {
    return sourceView(this.k.xics, irq);
  }

  icsIds(): number[] {
    return icsIds(this.k.xics);
  }

  get maxIcsId(): number {
    return this.k.xics?.maxIcsId ?? -1;
  }

  eeLine(vcpu: number): boolean {
    this.k.checkVcpu(vcpu);
    return this.k.ctx.ee[vcpu] === 1;
  }
}

function noGroup(group: number): IrqError {
  return new IrqError('ENXIO', `XICS has no attribute group ${String(group)} (PWR-9.3)`);
}

function checkU32(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new IrqError('EINVAL', `${what} ${String(v)} is not a u32`);
  }
}

/**
 * Builds a POWER sPAPR machine with KVM's in-kernel XICS (spec/power.md): by default the
 * device is created, the four RTAS names are bound to QEMU's tokens, every vCPU is connected
 * with its index as server number, and each vCPU's CPPR is opened to 0xFF as a booting guest
 * does.
 * @throws IrqError EINVAL for bad options.
 */
export function createPowerMachine(options: PowerMachineOptions): PowerMachine {
  return new PowerMachineImpl(options);
}
