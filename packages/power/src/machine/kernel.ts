import { type Counters, IrqError, type Vm } from '@irqkit/core';
import { H_XIRR_X, U64_MAX, XICS_HCALLS } from '../xics/constants.js';
import type { XicsContext } from '../xics/context.js';
import type { Icp } from '../xics/icp.js';
import { RtasTokens } from '../xics/rtas.js';
import { getIcpWord, getSourceWord, setIcpWord, setSourceWord } from '../xics/state.js';
import { TRIGGER_NO_DEVICE, Xics } from '../xics/xics.js';
import type { XicsTriggerSink } from './router.js';

/**
 * Where XICS hcalls run (spec/power.md §8): `hv-realmode` — a POWER7/8-style HV host with
 * XICS, where KVM handles H_XIRR, H_XIRR_X, H_CPPR, H_EOI and H_IPI in real mode; `virtual` —
 * PR KVM or real mode disabled, where every in-kernel hcall is a full exit to the host kernel.
 */
export type PowerProfile = 'hv-realmode' | 'virtual';

/**
 * The VM-side kernel state behind a POWER machine: the XICS device (or none), the vCPU
 * connections, the RTAS token table, which hcalls are handled in the kernel, and the
 * timebase. Shared by the machine's userspace interface and its guest-call front end.
 */
export class PowerKernel implements XicsTriggerSink {
  /** The XICS device, or null before `KVM_CREATE_DEVICE` / after release. */
  xics: Xics | null = null;
  /** RTAS token definitions (they outlive the device, as in KVM). */
  readonly tokens: RtasTokens = new RtasTokens();
  /** Per hcall number / 4: 1 while the hcall is enabled for in-kernel handling. */
  readonly enabled: Uint8Array = new Uint8Array((H_XIRR_X >>> 2) + 1);
  /** The model's timebase, returned by H_XIRR_X in r5. */
  timebase = 0n;
  /** True in the `hv-realmode` profile (a field: every hcall reads it). */
  readonly realModeHost: boolean;

  /**
   * @param vm - the core VM.
   * @param vcpus - number of vCPUs.
   * @param profile - execution profile.
   * @param ctx - caller/mode context and signals.
   * @param counters - machine counters.
   */
  constructor(
    readonly vm: Vm,
    readonly vcpus: number,
    readonly profile: PowerProfile,
    readonly ctx: XicsContext,
    private readonly counters: Counters,
  ) {
    for (const nr of XICS_HCALLS) this.enabled[nr >>> 2] = 1;
    this.realModeHost = profile === 'hv-realmode';
  }

  /** @throws IrqError EINVAL unless `vcpu` is a vCPU index of this machine. */
  checkVcpu(vcpu: number): void {
    // `>>> 0` keeps only integers 0..2^32−1 (and any non-number) from comparing equal
    if (vcpu >>> 0 !== vcpu || vcpu >= this.vcpus) badVcpu(vcpu, this.vcpus);
  }

  /** The ICP of `vcpu`, or null (no device, or not connected). */
  icp(vcpu: number): Icp | null {
    return this.xics === null ? null : this.xics.icps[vcpu]!;
  }

  /**
   * PWR-9.1 `KVM_CREATE_DEVICE(KVM_DEV_TYPE_XICS)`.
   * @throws IrqError EEXIST when the VM already has one.
   */
  createDevice(): void {
    if (this.xics !== null) throw new IrqError('EEXIST', 'the VM already has an XICS device');
    this.xics = new Xics(this.ctx, this.vcpus, this.counters);
  }

  /**
   * PWR-9.9: closing the device frees every ICP (vCPUs become unconnected) and every ICS.
   * @throws IrqError ENODEV when there is no device.
   */
  release(): void {
    if (this.xics === null) throw new IrqError('ENODEV', 'the VM has no XICS device');
    this.xics = null;
  }

  /**
   * PWR-9.2 `KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS)` on `vcpu` with server number `server`; the new
   * ICP starts with CPPR 0 (PWR-3.1).
   * @throws IrqError EBADF without a device; EBUSY if `vcpu` is connected; EEXIST if another
   * ICP has `server`; EINVAL for a server that is not a u32.
   */
  connectVcpu(vcpu: number, server: number): void {
    this.checkVcpu(vcpu);
    if (!Number.isInteger(server) || server < 0 || server > 0xffffffff) {
      throw new IrqError('EINVAL', `server ${String(server)} is not a u32`);
    }
    const x = this.xics;
    if (x === null) throw new IrqError('EBADF', 'no XICS device to connect to');
    if (x.icps[vcpu] !== null) throw new IrqError('EBUSY', `vCPU ${vcpu} is already connected`);
    if (x.findServer(server) !== null) throw new IrqError('EEXIST', `server ${server} is in use`);
    x.addIcp(vcpu, server);
  }

  /**
   * PWR-9.5 `setSource` (device attribute group 1).
   * @throws IrqError ENODEV without a device, EINVAL for a word that is not a u64, and KVM's
   * ENOENT / EINVAL (see {@link setSourceWord}).
   */
  setSource(irq: number, word: bigint): void {
    const x = this.device();
    checkWord(word);
    this.hostOp(() => setSourceWord(x, irq, word));
  }

  /**
   * PWR-9.4 `getSource`.
   * @throws IrqError ENODEV without a device; ENOENT for a source never set.
   */
  getSource(irq: number): bigint {
    return getSourceWord(this.device(), irq);
  }

  /**
   * PWR-9.7 `setIcp` (one_reg `KVM_REG_PPC_ICP_STATE`).
   * @throws IrqError ENOENT without a device or ICP; EINVAL for an inconsistent word.
   */
  setIcp(vcpu: number, word: bigint): void {
    this.checkVcpu(vcpu);
    checkWord(word);
    const icp = this.icp(vcpu);
    if (icp === null) throw new IrqError('ENOENT', `vCPU ${vcpu} has no ICP`);
    this.hostOp(() => setIcpWord(this.xics!, icp, word));
  }

  /** PWR-9.6 `getIcp`: the ICP word of `vcpu`, 0 when it has no ICP. */
  getIcp(vcpu: number): bigint {
    this.checkVcpu(vcpu);
    return getIcpWord(this.icp(vcpu));
  }

  /** The device, or ENODEV. */
  device(): Xics {
    if (this.xics === null) throw new IrqError('ENODEV', 'the VM has no XICS device');
    return this.xics;
  }

  /** Runs a userspace ioctl: host context (no calling vCPU), virtual mode, one model operation. */
  hostOp<T>(fn: () => T): T {
    const ctx = this.ctx;
    const saved = ctx.begin(-1, false);
    try {
      return fn();
    } finally {
      ctx.end(saved);
    }
  }

  /** `kvm_set_irq` on XICS (PWR-4.1, 7.1): −ENODEV without a device. */
  trigger(irq: number, level: number): number {
    const x = this.xics;
    return x === null ? TRIGGER_NO_DEVICE : x.trigger(irq, level);
  }
}

function checkWord(word: bigint): void {
  if (typeof word !== 'bigint' || word < 0n || word > U64_MAX) {
    throw new IrqError('EINVAL', `${String(word)} is not a 64-bit word (bigint)`);
  }
}

// Out of line: checkVcpu runs on every guest call, and V8 inlines by bytecode size.
function badVcpu(vcpu: number, vcpus: number): never {
  throw new IrqError('EINVAL', `vCPU ${String(vcpu)} is out of range 0..${vcpus - 1}`);
}
