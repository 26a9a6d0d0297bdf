import { type IrqArch, type IrqchipRoutingEntry, IrqError, type MsiSink } from '@irqkit/core';
import { IOAPIC_NUM_PINS } from './ioapic/regs.js';
import { X86MsiSink } from './msi/msi.js';
import type { Platform } from './platform.js';
import { X86Bypass } from './posted/bypass.js';

/** PIC master irqchip id. */
export const KVM_IRQCHIP_PIC_MASTER = 0;
/** PIC slave irqchip id. */
export const KVM_IRQCHIP_PIC_SLAVE = 1;
/** IOAPIC irqchip id. */
export const KVM_IRQCHIP_IOAPIC = 2;

/**
 * The x86 hooks into the core `Vm` (spec/x86.md §1): which ioctls the irqchip mode
 * allows, routing-entry validation, MSI delivery, EOI-interception rescans and the IRQ-bypass
 * consumer hooks.
 */
export class X86Arch implements IrqArch {
  /** Architecture name. */
  readonly name: string = 'x86';
  /** MSI delivery (absent without an in-kernel LAPIC). */
  readonly msi?: MsiSink;
  /** Posted-interrupt bypass hooks (only with device posting). */
  readonly bypass?: X86Bypass;

  /** @param platform - the machine internals. */
  constructor(private readonly platform: Platform) {
    const o = platform.opts;
    if (o.irqchip !== 'none') this.msi = new X86MsiSink(platform);
    if (o.devicePosting) this.bypass = new X86Bypass(platform);
  }

  /** CORE-8.1: KVM_IRQ_LINE needs an in-kernel irqchip (full or split). */
  checkIrqLine(): void {
    if (this.platform.opts.irqchip === 'none') {
      throw new IrqError('ENXIO', 'no in-kernel irqchip (irqchip: none)');
    }
  }

  /** CORE-1.3: routing needs an in-kernel irqchip. */
  checkSetRouting(): void {
    if (this.platform.opts.irqchip === 'none') {
      throw new IrqError('EINVAL', 'KVM_SET_GSI_ROUTING needs an in-kernel irqchip');
    }
  }

  /** CORE-5.2, 6.2: irqfds need an in-kernel irqchip; resampling ones the full irqchip. */
  checkIrqfd(resample: boolean): void {
    const mode = this.platform.opts.irqchip;
    if (mode === 'none') throw new IrqError('EINVAL', 'irqfd needs an in-kernel irqchip');
    if (resample && mode !== 'full') {
      throw new IrqError('EINVAL', 'resampling irqfds need the full in-kernel irqchip');
    }
  }

  /** X86-1.1: chip ids 0/1 (pins < 8) and 2 (pins < 24); none at all on a split irqchip. */
  validateIrqchipEntry(e: IrqchipRoutingEntry): void {
    if (this.platform.opts.irqchip !== 'full') {
      throw new IrqError('EINVAL', 'irqchip routing entries need the full in-kernel irqchip');
    }
    switch (e.chip) {
      case KVM_IRQCHIP_PIC_MASTER:
      case KVM_IRQCHIP_PIC_SLAVE:
        if (e.pin >= 8) throw new IrqError('EINVAL', `PIC pin ${e.pin} is out of range 0..7`);
        return;
      case KVM_IRQCHIP_IOAPIC:
        if (e.pin >= IOAPIC_NUM_PINS) {
          throw new IrqError('EINVAL', `IOAPIC pin ${e.pin} is out of range 0..23`);
        }
        return;
      default:
        throw new IrqError(
          'EINVAL',
          `irqchip ${e.chip} is not 0 (PIC master), 1 (PIC slave) or 2 (IOAPIC)`,
        );
    }
  }

  /** CORE-4.1: an ack notifier changed, so EOI interception may change (full irqchip). */
  postAckNotifierListUpdate(): void {
    if (this.platform.opts.irqchip === 'full') this.platform.rescanEoiAll();
  }

  /** CORE-1.3 step 3: on a split irqchip the MSI routes decide EOI interception. */
  afterRoutingUpdate(): void {
    if (this.platform.opts.irqchip === 'split') this.platform.rescanEoiAll();
  }
}
