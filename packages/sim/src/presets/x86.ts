import type { Host, Machine } from '@irqkit/core';
import { createX86Machine, type X86Machine, type X86MachineOptions } from '@irqkit/x86';
import { X86_USERSPACE_IRQCHIP_COST_MAP } from '../cost/cost-map.js';
import type { IpiHook, PathPreset, SourceSpec, WireContext, WiredSource } from './preset.js';
import { wireVfioIntx, wireVfioMsi } from './wiring.js';

/** Linux's `CALL_FUNCTION_VECTOR`: the vector the IPI-storm hook sends. */
const IPI_VECTOR = 0xfb;
/** x2APIC ICR (MSR 0x830). */
const MSR_X2APIC_ICR = 0x830;
/** IA32_APIC_BASE: global enable (bit 11) and x2APIC mode (bit 10). */
const APIC_BASE_EN_EXTD = 0xc00;

/**
 * A guest IPI in x2APIC mode (x86.md P10): one WRMSR to the ICR — fixed, physical, edge,
 * destination = the target's x2APIC ID (its vCPU index). Without APICv the write traps
 * (`exits.msr`) and the target is kicked; with APICv it is a trap-like APIC write on the
 * sender and a posted interrupt on the target; with IPIv neither exits.
 */
const X2APIC_IPI: IpiHook = {
  send(m, from, to) {
    (m as X86Machine).wrmsr(from, MSR_X2APIC_ICR, to * 2 ** 32 + IPI_VECTOR);
  },
};

type X86Options = Omit<X86MachineOptions, 'vcpus' | 'host'>;

/**
 * A booted Linux guest's view: APICs software-enabled and switched to x2APIC mode (KVM
 * advertises x2APIC; Linux uses it), no 8259 (the guest runs with the IOAPIC only).
 */
function machine(options: X86Options) {
  return (o: { readonly host: Host; readonly vcpus: number }): Machine => {
    const m = createX86Machine({ pic: false, ...options, vcpus: o.vcpus, host: o.host });
    m.enableApics();
    for (let n = 0; n < m.vcpus; n++) {
      if (!m.setApicBase(n, (m.lapic(n).apicBase | APIC_BASE_EN_EXTD) >>> 0)) {
        throw new Error(`x86: vCPU ${n} refused x2APIC mode`);
      }
    }
    return m;
  };
}

/**
 * An emulated device in the VMM with a level INTx on the VMM's own IOAPIC (irqchip `none`,
 * x86.md P1): the VMM asserts the pin, its LAPIC signals the vCPU thread and injects with
 * KVM_INTERRUPT; the guest's EOI is an MMIO exit to the VMM, which de-asserts nothing (the
 * handler serviced the device) and re-samples the pin.
 */
function wireUserspaceIntx(ctx: WireContext, source: SourceSpec): WiredSource {
  const m = ctx.machine as X86Machine;
  const gsi = ctx.lineGsi();
  m.guest.configure(gsi, { trigger: 'level', target: source.target, priority: source.priority });
  m.guest.unmask(gsi);
  return {
    gsi,
    bypass: () => null,
    raise: () => void m.ioapic.setLevel(gsi, true),
    service: () => void m.ioapic.setLevel(gsi, false),
    describe: 'emulated device → VMM IOAPIC pin (level) → VMM LAPIC → signal + KVM_INTERRUPT',
    hops: [
      { id: `${source.name}:dev`, label: `${source.name}: emulated device (VMM)`, layer: 'device' },
      { id: `${source.name}:ioapic`, label: `VMM IOAPIC pin ${gsi} (level)`, layer: 'host' },
    ],
  };
}

/**
 * Delivery-path presets for `@irqkit/x86` (spec/x86.md §7), a Linux guest with x2APIC and no
 * 8259:
 *
 * - `x86/userspace-irqchip`: irqchip `none` (P1): an emulated device's level INTx on the VMM's
 *   IOAPIC; every interrupt is a signal + KVM_INTERRUPT, every EOI and every HLT an exit to
 *   the VMM (priced with {@link X86_USERSPACE_IRQCHIP_COST_MAP}).
 * - `x86/ioapic-resample`: a VFIO PCI INTx → resampling irqfd → level IOAPIC pin, no APICv
 *   (P4): a kick and an EOI exit whose IOAPIC EOI drives the resampler and VFIO's unmask.
 * - `x86/msi-irqfd`: a VFIO MSI-X vector → host IRQ → eventfd → irqfd fast path, no APICv
 *   (P2 / P9): a kick, and every EOI exits.
 * - `x86/msi-irqfd-apicv`: the same with APICv (P3): software posting into the PID and
 *   virtualized EOIs, but still a host IRQ per interrupt. Baseline: `x86/msi-irqfd`.
 * - `x86/posted`: APICv + VT-d posting (P8): the vector is paired with its irqfd, the IOMMU
 *   posts it — no host IRQ, no exit while the vCPU runs, a wake-up vector when it is blocked.
 *   Baseline: `x86/msi-irqfd`.
 *
 * All of them send IPIs by x2APIC ICR writes (P10).
 */
export function x86Presets(): PathPreset[] {
  const base = { arch: 'x86', ipi: X2APIC_IPI } as const;
  return [
    {
      ...base,
      id: 'x86/userspace-irqchip',
      label: 'userspace irqchip',
      description:
        'irqchip none: an emulated device raises a level INTx on the VMM IOAPIC; the VMM signals the vCPU and injects with KVM_INTERRUPT; every EOI is an MMIO exit to the VMM (x86.md P1).',
      costMap: X86_USERSPACE_IRQCHIP_COST_MAP,
      createMachine: machine({ irqchip: 'none' }),
      wire: wireUserspaceIntx,
    },
    {
      ...base,
      id: 'x86/ioapic-resample',
      label: 'IOAPIC level + resample',
      description:
        'VFIO PCI INTx → eventfd → resampling irqfd → level IOAPIC pin, no APICv: a kick, an EOI exit that reaches the IOAPIC, ack notifier → resamplefd → VFIO unmask (x86.md P4).',
      createMachine: machine({}),
      wire: wireVfioIntx,
    },
    {
      ...base,
      id: 'x86/msi-irqfd',
      label: 'MSI irqfd',
      description:
        'VFIO MSI-X → host IRQ → eventfd → irqfd fast path → LAPIC, no APICv: a kick per interrupt and an exit per EOI (x86.md P2, P9).',
      createMachine: machine({}),
      wire: (ctx, s) => wireVfioMsi(ctx, s),
    },
    {
      ...base,
      id: 'x86/msi-irqfd-apicv',
      label: 'MSI irqfd + APICv',
      description:
        'The same MSI path with APICv: the irqfd posts into the PID (a notification, no kick exit) and EOIs are virtualized; the host IRQ and eventfd remain (x86.md P3).',
      baseline: 'x86/msi-irqfd',
      createMachine: machine({ apicv: true }),
      wire: (ctx, s) => wireVfioMsi(ctx, s),
    },
    {
      ...base,
      id: 'x86/posted',
      label: 'posted (VT-d PI)',
      description:
        'APICv + VT-d posting: the vector paired with its irqfd is posted by the IOMMU — no host IRQ, no eventfd, no exit while the vCPU runs; a wake-up vector when it is blocked (x86.md P8).',
      baseline: 'x86/msi-irqfd',
      createMachine: machine({ apicv: true, devicePosting: true }),
      unsupported: (m) => (m.capabilities.msiBypass === 'post' ? null : 'no posted interrupts'),
      wire: (ctx, s) => wireVfioMsi(ctx, s),
    },
  ];
}
