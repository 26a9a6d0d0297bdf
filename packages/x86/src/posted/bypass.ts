import {
  type BypassHooks,
  type IrqBypassProducer,
  IrqError,
  type Irqfd,
  type MsiRoutingEntry,
  type PostedTarget,
  type RouteTarget,
} from '@irqkit/core';
import { DM_FIXED, DM_LOWEST } from '../apic/message.js';
import { msiDest } from '../msi/msi.js';
import type { Platform } from '../platform.js';
import type { Vcpu } from '../vcpu.js';

/**
 * A VT-d posted-format IRTE (X86-6.6): device interrupts through it are posted into `vcpu`'s
 * PID with `vector`, without a host handler and without signalling the eventfd.
 */
export class PostedIrte implements PostedTarget {
  /**
   * @param vcpu - the vCPU whose PID receives the interrupt.
   * @param vector - the guest vector.
   * @param gsi - the irqfd's GSI (for traces).
   */
  constructor(
    readonly vcpu: Vcpu,
    readonly vector: number,
    readonly gsi: number,
  ) {}

  /** The IOMMU posts: PIR, then ON + notification unless suppressed (X86-6.6). */
  post(): void {
    this.vcpu.postHardware(this.vector, 'iommu');
  }
}

function msiOf(route: RouteTarget | null): MsiRoutingEntry | null {
  return route !== null && route.entry.kind === 'msi' ? (route.entry as MsiRoutingEntry) : null;
}

/**
 * KVM x86's IRQ-bypass consumer hooks (X86-6.8 … 6.13): program a posted IRTE for an irqfd's
 * cached MSI route when it is postable, revert to remapped otherwise, and count possible
 * bypass IRQs (the first one arms posted-interrupt wakeups on every vCPU, X86-6.5).
 */
export class X86Bypass implements BypassHooks {
  // irqfd->irq_bypass_vcpu: the IRTE each paired irqfd currently posts through.
  private readonly posted = new WeakMap<Irqfd, PostedIrte>();

  /** @param platform - the machine internals. */
  constructor(private readonly platform: Platform) {}

  /** `kvm_arch_irq_bypass_add_producer` (X86-6.9). */
  addProducer(irqfd: Irqfd, producer: IrqBypassProducer): number {
    const p = this.platform;
    if (p.bypassCount++ === 0) this.startBypass();
    const msi = msiOf(irqfd.route);
    if (msi === null) return 0;
    const r = this.updateIrte(irqfd, producer, msi);
    if (r !== 0) p.bypassCount--;
    return r;
  }

  /** `kvm_arch_irq_bypass_del_producer` (X86-6.10): back to remapped. */
  delProducer(irqfd: Irqfd, producer: IrqBypassProducer): void {
    if (msiOf(irqfd.route) !== null || this.posted.has(irqfd))
      this.updateIrte(irqfd, producer, null);
    this.platform.bypassCount--;
  }

  /** `kvm_arch_update_irqfd_routing` (X86-6.11, 6.12): only route changes re-evaluate. */
  updateRouting(irqfd: Irqfd, previous: RouteTarget | null, next: RouteTarget | null): void {
    const a = msiOf(previous);
    const b = msiOf(next);
    if (a === null && b === null) return;
    if (
      a !== null &&
      b !== null &&
      a.addressLo === b.addressLo &&
      a.addressHi === b.addressHi &&
      a.data === b.data &&
      a.devid === b.devid
    ) {
      return;
    }
    const producer = irqfd.producer;
    if (producer !== null) this.updateIrte(irqfd, producer, b);
  }

  /** The posted IRTE of `irqfd`, if it posts. */
  irteOf(irqfd: Irqfd): PostedIrte | undefined {
    return this.posted.get(irqfd);
  }

  // kvm_pi_update_irte: posted when postable, else remapped; nothing to do when it is and
  // stays remapped.
  private updateIrte(
    irqfd: Irqfd,
    producer: IrqBypassProducer,
    msi: MsiRoutingEntry | null,
  ): number {
    const p = this.platform;
    let target: Vcpu | null = null;
    let vector = 0;
    if (msi !== null) {
      const lo = msi.addressLo;
      const mode = (msi.data >>> 8) & 7;
      vector = msi.data & 0xff;
      // X86-6.8: fixed / lowest priority only, resolving to exactly one vCPU.
      if (mode === DM_FIXED || mode === DM_LOWEST) {
        const idx = p.bus.singleVcpu(
          msiDest(lo, msi.addressHi, p.opts.use32BitIds),
          (lo >>> 2) & 1,
          mode,
          vector,
          (lo >>> 3) & 1,
        );
        if (idx >= 0) target = p.vcpus[idx]!;
      }
    }
    const current = this.posted.get(irqfd);
    if (current === undefined && target === null) return 0;
    const irte = target === null ? null : new PostedIrte(target, vector, irqfd.gsi);
    try {
      p.host.irqs.setVcpuAffinity(producer.irq, irte);
    } catch (e) {
      this.posted.delete(irqfd);
      return e instanceof IrqError ? -e.errno : -22;
    }
    p.counters.bump('irteUpdates');
    if (irte === null) this.posted.delete(irqfd);
    else {
      this.posted.set(irqfd, irte);
      if (msi !== null && ((msi.data >>> 15) & 1) === 1) {
        p.vm.diagnostic(
          'X86-6.8',
          `gsi ${irqfd.gsi}: a level-triggered MSI is posted; its TMR/EOI semantics are lost`,
        );
      }
    }
    if (p.trace.enabled === true) {
      p.trace.emit({
        type: 'x86.irte',
        irq: producer.irq,
        gsi: irqfd.gsi,
        mode: irte === null ? 'remapped' : 'posted',
        vcpu: target === null ? -1 : target.index,
        vector,
      });
    }
    return 0;
  }

  // vmx_pi_start_bypass (X86-6.5): KVM_REQ_UNBLOCK to every vCPU — running ones are kicked,
  // blocked ones wake and re-block, now with the wakeup vector armed.
  private startBypass(): void {
    for (const v of this.platform.vcpus) {
      if (v.state === 'blocked') v.reblock();
      else if (v.state === 'guest' && !v.inExit) v.exit(v.ids.kick, 'kick');
    }
  }
}
