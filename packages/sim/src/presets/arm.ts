import { type ArmMachine, type ArmMachineOptions, affinityOf, createArmMachine } from '@irqkit/arm';
import type { Host, Machine } from '@irqkit/core';
import type { IpiHook, PathPreset } from './preset.js';
import { wireVfioMsi, wireVfioPlatform } from './wiring.js';

/** The SGI Linux's arm64 `smp_call_function` uses (`IPI_CALL_FUNC`). */
const IPI_SGI = 1;

/** ICC_SGI1R_EL1 values by target vCPU (built once: no BigInt per IPI). */
const sgiValues: bigint[] = [];

/** ICC_SGI1R_EL1 for SGI {@link IPI_SGI} to vCPU `to`: Aff2.Aff1 and one TargetList bit. */
function sgiValue(to: number): bigint {
  let v = sgiValues[to];
  if (v === undefined) {
    const aff = affinityOf(to);
    v =
      (BigInt((aff >>> 16) & 0xff) << 32n) |
      (BigInt(IPI_SGI) << 24n) |
      (BigInt((aff >>> 8) & 0xff) << 16n) |
      BigInt(1 << (aff & 0xf));
    sgiValues[to] = v;
  }
  return v;
}

/**
 * A guest SGI on GICv3 (arm.md P8): the sender writes ICC_SGI1R_EL1 — a trapped system
 * register, one `sysreg` exit on the sender — and the target is kicked. SGIs are edge: the
 * handler does nothing at the source.
 */
const SGI_IPI: IpiHook = {
  send(m, from, to) {
    (m as ArmMachine).cpu(from).sgi(sgiValue(to));
  },
};

type ArmOptions = Omit<ArmMachineOptions, 'vcpus' | 'host'>;

function machine(options: ArmOptions) {
  return (o: { readonly host: Host; readonly vcpus: number }): Machine =>
    createArmMachine({ ...options, vcpus: o.vcpus, host: o.host });
}

function needs(cap: 'msi' | 'forwarding', m: Machine): string | null {
  return m.capabilities[cap] ? null : `arm machine lacks capability '${cap}'`;
}

/**
 * Delivery-path presets for `@irqkit/arm` (spec/arm.md §7; docs/arch/arm.md), GICv3 guests:
 *
 * - `arm/spi-resample`: a VFIO platform level IRQ → resampling irqfd → level SPI (P4): VFIO
 *   masks the host line, the guest's EOI raises an EOI maintenance interrupt whose fold
 *   becomes an ack notification, the resampler signals the resamplefd, VFIO unmasks.
 * - `arm/spi-forwarded`: the same device forwarded (HW-mapped, P5; seeds 001 and 004), on a
 *   machine with `forwardSpis` so that pairing VFIO's trigger with the irqfd forwards it; the
 *   guest's deactivation goes straight to the host GIC. Baseline: `arm/spi-resample`.
 * - `arm/lpi-irqfd`: a VFIO MSI-X vector → eventfd → irqfd → ITS → LPI, no GICv4 (P6).
 * - `arm/vlpi`: the same vector on a GICv4.1 host: pairing maps it to a vLPI, delivered
 *   without the host while the vPE is resident, by doorbell when the vCPU waits in WFI (P7,
 *   P7d). Baseline: `arm/lpi-irqfd`.
 *
 * All of them send IPIs as SGI 1 through ICC_SGI1R_EL1 (P8), so IPI storms run.
 */
export function armPresets(): PathPreset[] {
  const base = { arch: 'arm', ipi: SGI_IPI } as const;
  return [
    {
      ...base,
      id: 'arm/spi-resample',
      label: 'SPI level + resample',
      description:
        'VFIO platform level IRQ → eventfd → resampling irqfd → level SPI: VFIO masks, the guest EOI takes a maintenance exit, ack notifier → resamplefd → VFIO unmask (arm.md P4).',
      createMachine: machine({}),
      wire: (ctx, s) => wireVfioPlatform(ctx, s, { forward: false }),
    },
    {
      ...base,
      id: 'arm/spi-forwarded',
      label: 'forwarded SPI',
      description:
        'The same level IRQ forwarded (HW-mapped, forwardSpis): no VFIO mask, no maintenance exit, no ack or resample; the guest deactivation reaches the host GIC (arm.md P5, seed 004).',
      baseline: 'arm/spi-resample',
      createMachine: machine({ forwardSpis: true }),
      unsupported: (m) => needs('forwarding', m),
      wire: (ctx, s) => wireVfioPlatform(ctx, s, { forward: true }),
    },
    {
      ...base,
      id: 'arm/lpi-irqfd',
      label: 'ITS LPI via irqfd',
      description:
        'VFIO MSI-X → host IRQ → eventfd → irqfd → ITS translation (cached) → LPI → kick; no GICv4 (arm.md P6).',
      createMachine: machine({ its: true }),
      unsupported: (m) => needs('msi', m),
      wire: (ctx, s) => wireVfioMsi(ctx, s),
    },
    {
      ...base,
      id: 'arm/vlpi',
      label: 'GICv4 vLPI',
      description:
        'The same vector on a GICv4.1 host, paired with its irqfd: a vLPI, straight into the resident vPE with no host IRQ and no exit; a doorbell when the vCPU waits in WFI (arm.md P7, P7d).',
      baseline: 'arm/lpi-irqfd',
      createMachine: machine({ its: true, gicv4: '4.1' }),
      unsupported: (m) =>
        m.capabilities.msiBypass === 'post' ? null : 'arm machine has no direct vLPI injection',
      wire: (ctx, s) => wireVfioMsi(ctx, s),
    },
  ];
}
