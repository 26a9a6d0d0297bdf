import type { Host, Machine } from '@irqkit/core';
import { createPowerMachine, type PowerMachine, type PowerProfile } from '@irqkit/power';
import { POWER_COST_MAP, POWER_PASSTHROUGH_COST_MAP } from '../cost/cost-map.js';
import type { IpiHook, PathPreset } from './preset.js';
import { wireVfioIntx, wireVfioMsi } from './wiring.js';

/** XICS priority Linux's pseries code gives IPIs (`IPI_PRIORITY`). */
const IPI_PRIORITY = 4;

function power(m: Machine): PowerMachine {
  return m as PowerMachine;
}

/** H_IPI from `from` to `to`'s server; the handler clears its own MFRR, as Linux does. */
const XICS_IPI: IpiHook = {
  send(m, from, to) {
    const p = power(m);
    p.hIpi(from, p.server(to) ?? to, IPI_PRIORITY);
  },
  ack(m, vcpu) {
    const p = power(m);
    p.hIpi(vcpu, p.server(vcpu) ?? vcpu, 0xff);
  },
};

function machine(profile: PowerProfile) {
  return (o: { readonly host: Host; readonly vcpus: number }): Machine =>
    createPowerMachine({ vcpus: o.vcpus, host: o.host, profile });
}

/**
 * Delivery-path presets for `@irqkit/power` (spec/power.md §7, §8), device interrupts as
 * VFIO MSI-X vectors bound to irqfds on their global numbers:
 *
 * - `power/virtual-hcalls`: profile `virtual` — every H_XIRR / H_EOI / H_IPI / H_CEDE is a
 *   full exit.
 * - `power/realmode-hcalls`: profile `hv-realmode` (POWER7/8 HV with XICS) — the ICP hcalls
 *   complete in real mode; the host MSI still goes host handler → eventfd → irqfd → kick.
 * - `power/realmode-passthrough`: the same with the vector paired to its irqfd: real mode
 *   delivers the host MSI on the vCPU thread it interrupts (PWR-7.9).
 * - `power/lsi-resample`: a PCI INTx (LSI) through a resampling irqfd in `hv-realmode`: every
 *   H_EOI must reach the ack notifiers, so real mode punts it to virtual mode (PWR-8.2).
 *
 * All of them send IPIs with H_IPI (IPI storms run).
 */
export function powerPresets(): PathPreset[] {
  const base = { arch: 'power', ipi: XICS_IPI, costMap: POWER_COST_MAP } as const;
  return [
    {
      ...base,
      id: 'power/virtual-hcalls',
      label: 'virtual-mode hcalls',
      description:
        'Profile virtual (PR KVM, or real mode off): host MSI → eventfd → irqfd → ICS → kick; H_XIRR and H_EOI each exit to the host kernel (spec/power.md §8).',
      createMachine: machine('virtual'),
      wire: (ctx, s) => wireVfioMsi(ctx, s, { posting: 'remapped' }),
    },
    {
      ...base,
      id: 'power/realmode-hcalls',
      label: 'real-mode hcalls',
      description:
        'Profile hv-realmode: the same injection, but H_XIRR, H_EOI, H_CPPR and H_IPI complete in real mode (PWR-8.1).',
      baseline: 'power/virtual-hcalls',
      createMachine: machine('hv-realmode'),
      wire: (ctx, s) => wireVfioMsi(ctx, s, { posting: 'remapped' }),
    },
    {
      ...base,
      id: 'power/realmode-passthrough',
      label: 'real-mode passthrough',
      description:
        'Profile hv-realmode with the vector paired to its irqfd: the host MSI is delivered in real mode on the vCPU thread it interrupts, no host handler, eventfd or irqfd (PWR-7.9).',
      baseline: 'power/realmode-hcalls',
      costMap: POWER_PASSTHROUGH_COST_MAP,
      createMachine: machine('hv-realmode'),
      unsupported: (m) => (m.capabilities.msiBypass === 'post' ? null : 'no real-mode bypass'),
      wire: (ctx, s) => wireVfioMsi(ctx, s, { posting: 'auto' }),
    },
    {
      ...base,
      id: 'power/lsi-resample',
      label: 'LSI + resample',
      description:
        'A PCI INTx (LSI) through a resampling irqfd, hv-realmode: each H_EOI has ack notifiers to reach, so real mode punts it to virtual mode (notify-eoi, PWR-8.2).',
      createMachine: machine('hv-realmode'),
      wire: wireVfioIntx,
    },
  ];
}
