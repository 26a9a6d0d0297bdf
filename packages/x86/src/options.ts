import { Host, IrqError } from '@irqkit/core';

/** Which interrupt controllers live in the kernel (KVM_CREATE_IRQCHIP vs KVM_CAP_SPLIT_IRQCHIP). */
export type IrqchipMode = 'full' | 'split' | 'none';

/** KVM_CAP_X2APIC_API flags (X86-4.15). */
export interface X2apicApiOptions {
  /** `KVM_X2APIC_API_USE_32BIT_IDS`: MSI `address_hi` bits 31:8 carry destination bits 31:8. */
  readonly use32BitIds?: boolean;
  /** `KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK`: 0xFF to an x2APIC target is ID 255, not broadcast. */
  readonly disableBroadcastQuirk?: boolean;
}

/** Options of {@link createX86Machine} (spec/x86.md §0). */
export interface X86MachineOptions {
  /** Number of vCPUs (default 1); vCPU i has vcpuId = x2APIC ID = i, xAPIC ID = i & 0xFF. */
  readonly vcpus?: number;
  /** The host kernel (default: a new {@link Host} with an immediate scheduler). */
  readonly host?: Host;
  /** `'full'` (default), `'split'` or `'none'`. */
  readonly irqchip?: IrqchipMode;
  /**
   * Alias used by the issue text: `'kernel'` = `irqchip: 'full'`, `'userspace'` =
   * `irqchip: 'split'`. Conflicting with `irqchip` → EINVAL.
   */
  readonly ioapic?: 'kernel' | 'userspace';
  /** Split only: leading GSIs whose MSI routes belong to the userspace IOAPIC (default 24). */
  readonly splitReservedRoutes?: number;
  /** IOAPIC version: 0x11 (full, fixed) or 0x20 (split/none default: ICH-style with EOI register). */
  readonly ioapicVersion?: 0x11 | 0x20;
  /** Split/none only: edge semantics of the userspace IOAPIC (X86-2.19; default `'qemu'`). */
  readonly userspaceIoapicEdge?: 'kvm' | 'qemu';
  /** Include the 8259 pair (full only; default true for full, as KVM_CREATE_IRQCHIP does). */
  readonly pic?: boolean;
  /** Intel APICv: virtual-interrupt delivery and software posted interrupts (default false). */
  readonly apicv?: boolean;
  /** IPI virtualization (requires apicv). */
  readonly ipiv?: boolean;
  /** IOMMU posted interrupts (requires apicv); enables the IRQ-bypass consumer hooks. */
  readonly devicePosting?: boolean;
  /** KVM module parameter `vector_hashing` (default true). */
  readonly vectorHashing?: boolean;
  /** KVM_CAP_X2APIC_API flags. */
  readonly x2apicApi?: X2apicApiOptions;
  /** Split only: level EOIs exit to userspace even with SPIV "suppress EOI broadcast" (default true). */
  readonly suppressEoiBroadcastQuirk?: boolean;
  /** Guest CPUID advertises x2APIC (default true). */
  readonly guestX2apicCpuid?: boolean;
  /** VMM-level check: reject MSIs whose address is not 0xFEExxxxx (X86-5.5; default false). */
  readonly strictMsi?: boolean;
  /** vCPUs support SMM, so SMI messages are accepted (default true). */
  readonly smm?: boolean;
}

/** Options after defaults and validation. */
export interface ResolvedX86Options {
  readonly vcpus: number;
  readonly host: Host;
  readonly irqchip: IrqchipMode;
  readonly pic: boolean;
  readonly splitReservedRoutes: number;
  readonly ioapicVersion: 0x11 | 0x20;
  readonly userspaceIoapicEdge: 'kvm' | 'qemu';
  readonly apicv: boolean;
  readonly ipiv: boolean;
  readonly devicePosting: boolean;
  readonly vectorHashing: boolean;
  readonly use32BitIds: boolean;
  readonly disableBroadcastQuirk: boolean;
  readonly suppressEoiBroadcastQuirk: boolean;
  readonly guestX2apicCpuid: boolean;
  readonly strictMsi: boolean;
  readonly smm: boolean;
}

/** The most vCPUs a machine may have (KVM_MAX_VCPUS on x86). */
export const MAX_VCPUS = 4096;

const KNOWN = new Set([
  'vcpus',
  'host',
  'irqchip',
  'ioapic',
  'splitReservedRoutes',
  'ioapicVersion',
  'userspaceIoapicEdge',
  'pic',
  'apicv',
  'ipiv',
  'devicePosting',
  'vectorHashing',
  'x2apicApi',
  'suppressEoiBroadcastQuirk',
  'guestX2apicCpuid',
  'strictMsi',
  'smm',
]);

function bool(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new IrqError('EINVAL', `option ${name} must be a boolean`);
  return v;
}

function bad(message: string): never {
  throw new IrqError('EINVAL', message);
}

/**
 * Applies defaults and the X86-0.1 dependency rules.
 * @throws IrqError EINVAL for an unknown option, a value out of range, or a missing dependency.
 */
export function resolveOptions(options: X86MachineOptions): ResolvedX86Options {
  if (typeof options !== 'object' || options === null) bad('options must be an object');
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) bad(`unknown option '${k}'`);
  }
  const vcpus = options.vcpus ?? 1;
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) {
    bad(`vcpus ${String(vcpus)} is out of range 1..${MAX_VCPUS}`);
  }
  if (options.host !== undefined && !(options.host instanceof Host)) bad('host must be a Host');
  let irqchip: IrqchipMode = options.irqchip ?? 'full';
  if (irqchip !== 'full' && irqchip !== 'split' && irqchip !== 'none') {
    bad(`irqchip '${String(irqchip)}' must be 'full', 'split' or 'none'`);
  }
  if (options.ioapic !== undefined) {
    const alias: IrqchipMode | undefined =
      options.ioapic === 'kernel' ? 'full' : options.ioapic === 'userspace' ? 'split' : undefined;
    if (alias === undefined)
      bad(`ioapic '${String(options.ioapic)}' must be 'kernel' or 'userspace'`);
    if (options.irqchip !== undefined && options.irqchip !== alias) {
      bad(`ioapic '${options.ioapic}' contradicts irqchip '${options.irqchip}'`);
    }
    irqchip = alias;
  }
  const split = irqchip === 'split';
  const full = irqchip === 'full';
  // X86-0.1: options that require others.
  if (options.splitReservedRoutes !== undefined && !split) {
    bad('splitReservedRoutes requires irqchip: split');
  }
  const splitReservedRoutes = options.splitReservedRoutes ?? 24;
  if (
    !Number.isInteger(splitReservedRoutes) ||
    splitReservedRoutes < 0 ||
    splitReservedRoutes > 4096
  ) {
    bad(`splitReservedRoutes ${String(splitReservedRoutes)} is out of range 0..4096`);
  }
  const ioapicVersion = options.ioapicVersion ?? (full ? 0x11 : 0x20);
  if (ioapicVersion !== 0x11 && ioapicVersion !== 0x20) {
    bad(`ioapicVersion ${String(ioapicVersion)} must be 0x11 or 0x20`);
  }
  if (full && ioapicVersion !== 0x11) bad('the in-kernel IOAPIC is version 0x11');
  if (options.userspaceIoapicEdge !== undefined && full) {
    bad('userspaceIoapicEdge applies to split/none only');
  }
  const edge = options.userspaceIoapicEdge ?? 'qemu';
  if (edge !== 'kvm' && edge !== 'qemu') bad(`userspaceIoapicEdge '${String(edge)}' is invalid`);
  const pic = bool('pic', options.pic, full);
  if (pic && !full) bad('pic requires irqchip: full');
  const apicv = bool('apicv', options.apicv, false);
  const ipiv = bool('ipiv', options.ipiv, false);
  const devicePosting = bool('devicePosting', options.devicePosting, false);
  if (ipiv && !apicv) bad('ipiv requires apicv');
  if (devicePosting && !apicv) bad('devicePosting requires apicv');
  if (irqchip === 'none' && (apicv || devicePosting)) bad('apicv needs an in-kernel local APIC');
  const x2 = options.x2apicApi ?? {};
  if (typeof x2 !== 'object' || x2 === null) bad('x2apicApi must be an object');
  for (const k of Object.keys(x2)) {
    if (k !== 'use32BitIds' && k !== 'disableBroadcastQuirk') bad(`unknown x2apicApi flag '${k}'`);
  }
  return {
    vcpus,
    host: options.host ?? new Host(),
    irqchip,
    pic,
    splitReservedRoutes,
    ioapicVersion,
    userspaceIoapicEdge: edge,
    apicv,
    ipiv,
    devicePosting,
    vectorHashing: bool('vectorHashing', options.vectorHashing, true),
    use32BitIds: bool('x2apicApi.use32BitIds', x2.use32BitIds, false),
    disableBroadcastQuirk: bool('x2apicApi.disableBroadcastQuirk', x2.disableBroadcastQuirk, false),
    suppressEoiBroadcastQuirk: bool(
      'suppressEoiBroadcastQuirk',
      options.suppressEoiBroadcastQuirk,
      true,
    ),
    guestX2apicCpuid: bool('guestX2apicCpuid', options.guestX2apicCpuid, true),
    strictMsi: bool('strictMsi', options.strictMsi, false),
    smm: bool('smm', options.smm, true),
  };
}
