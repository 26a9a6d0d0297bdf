import { checkRange, type Host, IrqError, type VcpuRunState } from '@irqkit/core';
import {
  DEFAULT_NR_SPIS,
  MODEL_MAX_CPUS,
  NR_PRIVATE_IRQS,
  VGIC_V2_MAX_CPUS,
  VGIC_V3_MAX_CPUS,
} from './constants.js';
import type { ItsCacheMode } from './its/its.js';
import type { GicV4, VgicConfig } from './vgic/vgic.js';

/** Options of `createArmMachine`. */
export interface ArmMachineOptions {
  /** Number of vCPUs (GICv2: 1..8; GICv3: 1..512, KVM's `VGIC_V3_MAX_CPUS`). */
  readonly vcpus: number;
  /** Guest-visible GIC model (default `'v3'`). */
  readonly gic?: 'v2' | 'v3';
  /** Create an ITS (GICv3 only; default false). */
  readonly its?: boolean;
  /** Host GICv4 support (ARM-6.1): `'none'` (default), `'4.0'` / `'v4.0'`, `'4.1'` / `'v4.1'`. */
  readonly gicv4?: 'none' | '4.0' | '4.1' | 'v4.0' | 'v4.1';
  /** List registers per vCPU (default 4; 1..16 on a GICv3 host, 1..64 on a GICv2 host). */
  readonly listRegisters?: number;
  /** The host's GIC (default `'v3'`; a GICv3 guest needs a GICv3 host). */
  readonly hostGic?: 'v2' | 'v3';
  /** SPIs: 32 … 960 in steps of 32 (default 224, i.e. 256 IRQs; ARM-1.2). */
  readonly nrSpis?: number;
  /** The host kernel (default: a new `Host` with the immediate scheduler). */
  readonly host?: Host;
  /** Initialise the VGIC at creation (default true); false models KVM before `CTRL_INIT`. */
  readonly init?: boolean;
  /**
   * Act as the guest's GIC driver at creation (default true): distributor enabled, every
   * vCPU's PMR 0xF8 and group(s) enabled. False leaves the architectural reset state.
   */
  readonly guestInit?: boolean;
  /** GICD_IIDR.Revision (default 3). */
  readonly implementationRevision?: number;
  /** Model extension: VFIO platform IRQs paired with an irqfd are forwarded (ARM-6.4). */
  readonly forwardSpis?: boolean;
  /** Guest physical base of the ITS frame (default 0x0808_0000). */
  readonly itsBase?: number;
  /** ITS translation cache capacity (default unbounded; ARM-5.6). */
  readonly itsCache?: ItsCacheMode;
  /** Guest RAM size in bytes, from address 0 (default 2^40). */
  readonly memorySize?: number;
  /** Initial run state of every vCPU (default `'guest'`: running). */
  readonly runState?: VcpuRunState;
  /**
   * Lift KVM's vCPU limit to the model's 4096 (large-machine studies; KVM itself caps a
   * GICv3 VM at 512 vCPUs).
   */
  readonly exceedKvmVcpuLimit?: boolean;
}

/** Everything `createArmMachine` resolved from its options. */
export interface ResolvedOptions {
  /** The VGIC configuration. */
  readonly config: VgicConfig;
  /** Initialise at creation. */
  readonly init: boolean;
  /** Guest driver setup at creation. */
  readonly guestInit: boolean;
  /** ITS base. */
  readonly itsBase: number;
  /** ITS cache mode. */
  readonly itsCache: ItsCacheMode;
  /** Guest RAM size. */
  readonly memorySize: number;
  /** Initial run state. */
  readonly runState: VcpuRunState;
}

const RUN_STATES: readonly VcpuRunState[] = ['guest', 'host', 'preempted', 'blocked'];

/**
 * Validates `createArmMachine` options.
 * @throws IrqError EINVAL naming the offending option; nothing is created.
 */
export function resolveOptions(o: ArmMachineOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null)
    throw new IrqError('EINVAL', 'options must be an object');
  const model = o.gic ?? 'v3';
  if (model !== 'v2' && model !== 'v3')
    throw new IrqError('EINVAL', `gic '${String(model)}' is not 'v2' or 'v3'`);
  const hostGic = o.hostGic ?? 'v3';
  if (hostGic !== 'v2' && hostGic !== 'v3')
    throw new IrqError('EINVAL', `hostGic '${String(hostGic)}' is invalid`);
  if (model === 'v3' && hostGic === 'v2')
    throw new IrqError('EINVAL', 'a GICv3 guest needs a GICv3 host');
  const maxCpus =
    model === 'v2'
      ? VGIC_V2_MAX_CPUS
      : o.exceedKvmVcpuLimit === true
        ? MODEL_MAX_CPUS
        : VGIC_V3_MAX_CPUS;
  const vcpus = checkRange('vcpus', o.vcpus, 1, maxCpus);
  const its = o.its ?? false;
  if (typeof its !== 'boolean') throw new IrqError('EINVAL', 'its must be a boolean');
  if (its && model !== 'v3') throw new IrqError('EINVAL', 'an ITS needs a GICv3 model');
  const gicv4 = normaliseV4(o.gicv4 ?? 'none');
  if (gicv4 !== 'none' && hostGic !== 'v3')
    throw new IrqError('EINVAL', 'GICv4 needs a GICv3 host');
  const nrLr = checkRange('listRegisters', o.listRegisters ?? 4, 1, hostGic === 'v3' ? 16 : 64);
  const nrSpis = o.nrSpis ?? DEFAULT_NR_SPIS;
  const nrIrqs = typeof nrSpis === 'number' ? nrSpis + NR_PRIVATE_IRQS : Number.NaN;
  if (!Number.isInteger(nrSpis) || nrIrqs < 64 || nrIrqs > 1023 || nrIrqs % 32 !== 0) {
    throw new IrqError('EINVAL', `nrSpis ${String(nrSpis)} must be a multiple of 32 in 32..960`);
  }
  const rev = checkRange('implementationRevision', o.implementationRevision ?? 3, 0, 3);
  const runState = o.runState ?? 'guest';
  if (!RUN_STATES.includes(runState))
    throw new IrqError('EINVAL', `runState '${String(runState)}' is invalid`);
  const itsBase = o.itsBase ?? 0x0808_0000;
  if (!Number.isSafeInteger(itsBase) || itsBase < 0 || itsBase % 0x10000 !== 0) {
    throw new IrqError('EINVAL', `itsBase ${String(itsBase)} must be 64 KiB aligned`);
  }
  const itsCache = o.itsCache ?? 'unbounded';
  if (itsCache !== 'unbounded') checkRange('itsCache.lru', itsCache.lru, 1, 1 << 20);
  return {
    config: {
      model,
      vcpus,
      nrSpis,
      nrLr,
      its,
      gicv4,
      implementationRevision: rev,
      forwardSpis: o.forwardSpis ?? false,
    },
    init: o.init ?? true,
    guestInit: o.guestInit ?? true,
    itsBase,
    itsCache,
    memorySize: o.memorySize ?? 2 ** 40,
    runState,
  };
}

function normaliseV4(v: string): GicV4 {
  switch (v) {
    case 'none':
      return 'none';
    case '4.0':
    case 'v4.0':
      return 'v4.0';
    case '4.1':
    case 'v4.1':
      return 'v4.1';
    default:
      throw new IrqError('EINVAL', `gicv4 '${v}' is not 'none', '4.0' or '4.1'`);
  }
}
