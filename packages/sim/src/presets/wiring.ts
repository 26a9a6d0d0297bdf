import {
  EventFd,
  type HostIrqLine,
  type Machine,
  PciDevice,
  VfioMsiDevice,
  VfioPciIntx,
  VfioPlatformIrq,
} from '@irqkit/core';
import type { GraphHop, SourceSpec, WireContext, WiredSource } from './preset.js';

// Generic wiring helpers: each builds one of the host-to-guest chains of spec/host.md out of
// the core device models and programs the guest side through GuestPort, so any plugin's
// preset can reuse them. None knows an architecture.

function hop(
  source: SourceSpec,
  suffix: string,
  label: string,
  layer: GraphHop['layer'],
): GraphHop {
  return { id: `${source.name}:${suffix}`, label, layer };
}

function configureLevel(m: Machine, gsi: number, s: SourceSpec): void {
  m.guest.configure(gsi, { trigger: 'level', target: s.target, priority: s.priority });
  m.guest.unmask(gsi);
}

/** Options of {@link wireVfioMsi}. */
export interface VfioMsiWiring {
  /**
   * `'auto'` (default): whatever the arch's bypass hook does when the vector pairs with the
   * irqfd (posted where the plugin posts). `'remapped'`: after wiring, the host IRQ's vCPU
   * affinity is reset, as with an IOMMU that cannot post — delivery then takes the host
   * handler → eventfd → irqfd path.
   */
  readonly posting?: 'auto' | 'remapped';
}

/**
 * A VFIO MSI-X vector (spec/host.md §3) → its trigger eventfd → an irqfd on a GSI the guest
 * routed as an MSI (`GuestPort.configureMsi`). The vector and the irqfd share the eventfd, so
 * the bypass manager pairs them.
 * @throws Error if the machine has no `configureMsi`.
 */
export function wireVfioMsi(
  ctx: WireContext,
  source: SourceSpec,
  options: VfioMsiWiring = {},
): WiredSource {
  const m = ctx.machine;
  const configureMsi = m.guest.configureMsi;
  if (configureMsi === undefined) throw new Error(`${m.arch}: GuestPort has no configureMsi`);
  const gsi = ctx.msiGsi();
  configureMsi.call(m.guest, gsi, { target: source.target, priority: source.priority });
  const eventfd = new EventFd();
  const device = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
  m.vm.irqfds.assign({ eventfd, gsi });
  device.setTrigger(0, eventfd);
  const irq = device.vectors[0]!.irq;
  if (options.posting === 'remapped') {
    ctx.afterWiring(() => {
      if (m.host.irqs.get(irq) !== undefined) m.host.irqs.setVcpuAffinity(irq, null);
    });
  }
  const posted = options.posting !== 'remapped';
  const hostMsi = device.vectors[0]!.hostIrq;
  return {
    gsi,
    bypass: () => (hostMsi.posted !== null ? 'posted' : null),
    raise: () => device.fire(0),
    service: () => {},
    describe: `VFIO MSI-X → ${posted ? 'bypass / ' : ''}eventfd → irqfd → MSI route`,
    hops: [
      hop(source, 'dev', `${source.name}: VFIO MSI-X vector 0 (host irq ${irq})`, 'device'),
      hop(source, 'efd', `eventfd${posted ? ' (bypass token)' : ''}`, 'host'),
      hop(source, 'irqfd', `irqfd → gsi ${gsi}`, 'kvm'),
    ],
  };
}

/**
 * A device model in the VMM or a vhost thread signalling an eventfd → a (non-resampling)
 * irqfd → an edge-triggered controller input. No host interrupt is involved.
 */
export function wireEmulatedEdge(ctx: WireContext, source: SourceSpec): WiredSource {
  const m = ctx.machine;
  const gsi = ctx.lineGsi();
  m.guest.configure(gsi, { trigger: 'edge', target: source.target, priority: source.priority });
  m.guest.unmask(gsi);
  const eventfd = new EventFd();
  m.vm.irqfds.assign({ eventfd, gsi });
  return {
    gsi,
    bypass: () => null,
    raise: () => eventfd.signal(),
    service: () => {},
    describe: 'emulated device → eventfd → irqfd → edge input',
    hops: [
      hop(source, 'dev', `${source.name}: emulated device (VMM / vhost thread)`, 'device'),
      hop(source, 'efd', 'eventfd', 'host'),
      hop(source, 'irqfd', `irqfd → gsi ${gsi}`, 'kvm'),
    ],
  };
}

/**
 * A PCI device's INTx behind VFIO (spec/host.md §2, PCI 2.3 masking) → trigger eventfd → a
 * resampling irqfd on a level input; the resamplefd is VFIO's unmask eventfd.
 */
export function wireVfioIntx(ctx: WireContext, source: SourceSpec): WiredSource {
  const m = ctx.machine;
  const gsi = ctx.lineGsi();
  configureLevel(m, gsi, source);
  const trigger = new EventFd();
  const resamplefd = new EventFd();
  m.vm.irqfds.assign({ eventfd: trigger, gsi, resamplefd });
  const line = m.host.irqs.createLine();
  const pci = new PciDevice(source.name, line, true);
  new VfioPciIntx(m.host, pci, { trigger, unmask: resamplefd });
  return {
    gsi,
    bypass: () => (line.forwarded ? 'forwarded' : null),
    raise: () => pci.assert(),
    service: () => pci.deassert(),
    describe: 'VFIO INTx (DisINTx masking) → eventfd → resampling irqfd → level input',
    hops: [
      hop(source, 'dev', `${source.name}: PCI INTx (host irq ${line.irq})`, 'device'),
      hop(source, 'efd', 'eventfd + resamplefd (VFIO unmask)', 'host'),
      hop(source, 'irqfd', `resampling irqfd → gsi ${gsi}`, 'kvm'),
    ],
  };
}

/** Options of {@link wireVfioPlatform}. */
export interface VfioPlatformWiring {
  /**
   * true: keep the forwarding the bypass pairing sets up (HW-mapped, spec/host.md HOST-4.4);
   * false: undo it right after pairing, so the line is masked by VFIO and unmasked through
   * the resamplefd (HOST-4.1).
   */
  readonly forward: boolean;
}

/**
 * A VFIO platform level IRQ (spec/host.md §4) → trigger eventfd → a resampling irqfd on a
 * level input. Pairing forwards the line when the plugin can forward (seeds 001, 004);
 * `forward: false` keeps the resampling path for comparison.
 */
export function wireVfioPlatform(
  ctx: WireContext,
  source: SourceSpec,
  options: VfioPlatformWiring,
): WiredSource {
  const m = ctx.machine;
  const gsi = ctx.lineGsi();
  configureLevel(m, gsi, source);
  const trigger = new EventFd();
  const resamplefd = new EventFd();
  const line: HostIrqLine = m.host.irqs.createLine();
  const irq = new VfioPlatformIrq(m.host, line, { trigger, unmask: resamplefd });
  m.vm.irqfds.assign({ eventfd: trigger, gsi, resamplefd });
  if (options.forward && !irq.forwarded) {
    throw new Error(`${m.arch}: pairing did not forward host irq ${line.irq} to gsi ${gsi}`);
  }
  if (!options.forward) irq.unforward();
  const device = {};
  return {
    gsi,
    bypass: () => (irq.forwarded ? 'forwarded' : null),
    raise: () => line.setOutput(device, true),
    service: () => line.setOutput(device, false),
    describe: options.forward
      ? 'VFIO platform IRQ, forwarded (HW-mapped): guest EOI deactivates the host line'
      : 'VFIO platform IRQ → eventfd → resampling irqfd → level input (unforwarded)',
    hops: [
      hop(source, 'dev', `${source.name}: platform level IRQ (host irq ${line.irq})`, 'device'),
      hop(
        source,
        'efd',
        options.forward ? 'eventfd (bypass token, forwarded)' : 'eventfd + resamplefd',
        'host',
      ),
      hop(source, 'irqfd', `resampling irqfd → gsi ${gsi}`, 'kvm'),
    ],
  };
}
