import type { Host, Machine } from '@irqkit/core';
import type { PathPreset, SourceSpec, WireContext, WiredSource } from './preset.js';
import { wireEmulatedEdge, wireVfioMsi, wireVfioPlatform } from './wiring.js';

/** What the reference presets need from `@irqkit/conformance`'s `createReferenceMachine`. */
export type ReferenceMachineFactory = (options: {
  readonly vcpus: number;
  readonly host: Host;
}) => Machine;

function needs(cap: 'msi' | 'resample' | 'forwarding', m: Machine): string | null {
  return m.capabilities[cap] ? null : `${m.arch} machine lacks capability '${cap}'`;
}

/**
 * Delivery-path presets for the conformance kit's reference plugin, the generic controller
 * every arch preset is compared with. The factory is passed in (the CLI passes
 * `createReferenceMachine`), so this package does not depend on the kit.
 *
 * - `reference/edge-irqfd`: emulated device → irqfd → edge input (deferred inject; x86 P6).
 * - `reference/level-resample`: VFIO platform level IRQ → resampling irqfd (x86 P4, ARM P4).
 * - `reference/level-forwarded`: the same device forwarded (HW-mapped; ARM P5, seed 004).
 * - `reference/msi-irqfd`: VFIO MSI-X, IRTE remapped → irqfd fast path (x86 P2/P9, ARM P6).
 * - `reference/msi-posted`: VFIO MSI-X paired and posted (x86 P8, ARM P7).
 */
export function referencePresets(create: ReferenceMachineFactory): PathPreset[] {
  const base = {
    arch: 'reference',
    createMachine: (o: { host: Host; vcpus: number }) => create({ vcpus: o.vcpus, host: o.host }),
  };
  const preset = (
    id: string,
    label: string,
    description: string,
    wire: (ctx: WireContext, s: SourceSpec) => WiredSource,
    cap: 'msi' | 'resample' | 'forwarding' | null,
    baseline?: string,
  ): PathPreset => ({
    ...base,
    id: `reference/${id}`,
    label,
    description,
    wire,
    unsupported: (m) => (cap === null ? null : needs(cap, m)),
    ...(baseline === undefined ? {} : { baseline: `reference/${baseline}` }),
  });
  return [
    preset(
      'edge-irqfd',
      'irqfd edge',
      'An emulated device signals an irqfd bound to an edge input: the irqchip route defers the injection to a work item, then the target is kicked (x86.md X86-7.2 P6).',
      wireEmulatedEdge,
      null,
    ),
    preset(
      'level-resample',
      'level + resample',
      'A VFIO platform level IRQ through a resampling irqfd: VFIO masks the line, the guest EOI acks the pin, the resampler de-asserts and signals the resamplefd, VFIO unmasks (x86 P4, arm.md P4).',
      (ctx, s) => wireVfioPlatform(ctx, s, { forward: false }),
      'resample',
    ),
    preset(
      'level-forwarded',
      'forwarded level',
      'The same level IRQ forwarded (HW-mapped): no mask, no ack notification, no resample; the guest EOI deactivates the host line (arm.md P5, seeds 001 and 004).',
      (ctx, s) => wireVfioPlatform(ctx, s, { forward: true }),
      'forwarding',
      'level-resample',
    ),
    preset(
      'msi-irqfd',
      'MSI irqfd',
      'A VFIO MSI-X vector whose IRTE stays remapped: host IRQ → eventfd → irqfd fast path in the signalling context → kick (x86 P2/P9, arm.md P6).',
      (ctx, s) => wireVfioMsi(ctx, s, { posting: 'remapped' }),
      'msi',
    ),
    preset(
      'msi-posted',
      'posted MSI',
      'The same vector paired with its irqfd and posted: the host MSI goes straight to the vCPU, no host IRQ, no kick (x86 P8, arm.md P7).',
      (ctx, s) => wireVfioMsi(ctx, s, { posting: 'auto' }),
      'msi',
      'msi-irqfd',
    ),
  ];
}
