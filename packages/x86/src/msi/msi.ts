import { checkU32, type Delivery, IrqError, type MsiMessage, type MsiSink } from '@irqkit/core';
import { Shorthand } from '../apic/message.js';
import type { Platform } from '../platform.js';

/** The MSI address range base (address_lo bits 31:20 = 0xFEE), never checked by KVM. */
export const MSI_ADDRESS_BASE = 0xfee00000;

/** A decoded MSI (`kvm_set_msi_irq`, X86-5.1). */
export interface DecodedMsi {
  /** Destination (8 bits, or 32 with `use32BitIds`). */
  readonly dest: number;
  /** 0 physical, 1 logical (address_lo bit 2). */
  readonly destMode: number;
  /** Redirection hint (address_lo bit 3). */
  readonly redirHint: number;
  /** Vector (data bits 7:0). */
  readonly vector: number;
  /** Delivery mode (data bits 10:8). */
  readonly deliveryMode: number;
  /** Trigger: 0 edge, 1 level (data bit 15). */
  readonly trigger: number;
}

// The rest of the layout KVM reads (X86-5.1): address_lo bit 2 destination mode, bit 3
// redirection hint; data bits 7:0 vector, 10:8 delivery mode, 15 trigger.
// As shifts in a const enum: the injection path (`send`) writes them in place, where the
// bundled helpers below would each cost a module-context load and an identity check.
const enum MsiBit {
  DestMode = 2,
  RedirHint = 3,
  DeliveryMode = 8,
  Trigger = 15,
}
const destModeOf = (addressLo: number): number => (addressLo >>> MsiBit.DestMode) & 1;
const redirHintOf = (addressLo: number): number => (addressLo >>> MsiBit.RedirHint) & 1;
const vectorOf = (data: number): number => data & 0xff;
const deliveryModeOf = (data: number): number => (data >>> MsiBit.DeliveryMode) & 7;
const triggerOf = (data: number): number => (data >>> MsiBit.Trigger) & 1;

/** `x86_msi_msg_get_destid`: address_lo[19:12], plus address_hi[31:8] with 32-bit ids. */
export function msiDest(addressLo: number, addressHi: number, use32BitIds = false): number {
  const lo = (addressLo >>> 12) & 0xff;
  return use32BitIds === true ? ((addressHi & 0xffffff00) | lo) >>> 0 : lo;
}

/**
 * Decodes an MSI as KVM does (X86-5.1): bits KVM ignores (the 0xFEE base, address_lo[11:4] —
 * including the extended destination ID —, data bits 14 and 13:11) are ignored.
 */
export function decodeMsi(msg: MsiMessage, use32BitIds = false): DecodedMsi {
  checkU32('addressLo', msg.addressLo);
  checkU32('addressHi', msg.addressHi);
  checkU32('data', msg.data);
  const lo = msg.addressLo >>> 0;
  const data = msg.data >>> 0;
  return {
    dest: msiDest(lo, msg.addressHi >>> 0, use32BitIds),
    destMode: destModeOf(lo),
    redirHint: redirHintOf(lo),
    vector: vectorOf(data),
    deliveryMode: deliveryModeOf(data),
    trigger: triggerOf(data),
  };
}

/** Fields of {@link composeMsi}. */
export interface MsiFields {
  /** Destination APIC ID (0..0xFF in address_lo; higher bits go to address_hi). */
  readonly dest: number;
  /** Vector. */
  readonly vector: number;
  /** 0 physical (default), 1 logical. */
  readonly destMode?: number;
  /** Delivery mode (default 0, fixed). */
  readonly deliveryMode?: number;
  /** 0 edge (default), 1 level. */
  readonly trigger?: number;
  /** Redirection hint (default 0). */
  readonly redirHint?: number;
}

/**
 * Builds a compatibility-format MSI (what a device's MSI capability holds): address
 * 0xFEE00000 | dest[7:0] << 12 | RH << 3 | DM << 2, address_hi = dest & 0xFFFFFF00 (x2APIC
 * format), data vector | mode << 8 | trigger << 15 (bit 14, which KVM ignores, left 0).
 * @throws IrqError EINVAL for out-of-range fields.
 */
export function composeMsi(f: MsiFields): MsiMessage {
  checkU32('dest', f.dest);
  const small = (what: string, v: number | undefined, max: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > max)) {
      throw new IrqError('EINVAL', `${what} ${String(v)} is out of range 0..${max}`);
    }
    return v ?? 0;
  };
  const vector = small('vector', f.vector, 0xff);
  const destMode = small('destMode', f.destMode, 1);
  const mode = small('deliveryMode', f.deliveryMode, 7);
  const trigger = small('trigger', f.trigger, 1);
  const rh = small('redirHint', f.redirHint, 1);
  return {
    addressLo: (MSI_ADDRESS_BASE | ((f.dest & 0xff) << 12) | (rh << 3) | (destMode << 2)) >>> 0,
    addressHi: (f.dest & 0xffffff00) >>> 0,
    data: (vector | (mode << 8) | (trigger << 15)) >>> 0,
  };
}

/**
 * QEMU's `kvm_swizzle_msi_ext_dest_id` (X86-5.6): moves the extended destination ID (APIC ID
 * bits 14:8, written by a guest that sees KVM_FEATURE_MSI_EXT_DEST_ID into address_lo[11:5])
 * to address_hi[14:8] and clears it in address_lo. Messages in remappable format, with
 * address_hi already set, or without extended bits are returned unchanged. The result needs
 * `x2apicApi.use32BitIds` to mean anything to KVM.
 * @throws IrqError EINVAL if a field is not a u32.
 */
export function swizzleExtDestId(msg: MsiMessage): MsiMessage {
  checkU32('addressLo', msg.addressLo);
  checkU32('addressHi', msg.addressHi);
  checkU32('data', msg.data);
  const lo = msg.addressLo >>> 0;
  const ext = (lo >>> 5) & 0x7f;
  if (ext === 0 || (lo & 0x10) !== 0 || msg.addressHi !== 0) return msg;
  return { ...msg, addressLo: (lo & ~(0x7f << 5)) >>> 0, addressHi: (ext << 8) >>> 0 };
}

/**
 * The x86 {@link MsiSink}: decodes messages and delivers them on the APIC bus. The irqfd fast
 * path (`deliverMsiInatomic`) only delivers when the optimised APIC map resolves the
 * destination (no broadcast, no mixed logical models), as `kvm_arch_set_irq_inatomic` does.
 */
export class X86MsiSink implements MsiSink {
  /** @param platform - the machine internals. */
  constructor(private readonly platform: Platform) {}

  /**
   * X86-1.2 / X86-5.5: with 32-bit ids `address_hi[7:0]` must be 0; `strictMsi` also wants the
   * 0xFEE base. Nothing else is checked.
   */
  validateMsi(msg: MsiMessage): void {
    const o = this.platform.opts;
    if (o.use32BitIds && (msg.addressHi & 0xff) !== 0) {
      throw new IrqError(
        'EINVAL',
        `MSI address_hi 0x${(msg.addressHi >>> 0).toString(16)} has bits 7:0 set (x2APIC 32-bit ids)`,
      );
    }
    if (o.strictMsi && msg.addressLo >>> 20 !== 0xfee) {
      throw new IrqError(
        'EINVAL',
        `MSI address 0x${(msg.addressLo >>> 0).toString(16)} is outside 0xFEExxxxx`,
      );
    }
  }

  /** `kvm_set_msi` with level 1. */
  deliverMsi(msg: MsiMessage): Delivery {
    return this.send(msg, false);
  }

  /** `kvm_arch_set_irq_inatomic` for an MSI: the map path or `WOULD_BLOCK`. */
  deliverMsiInatomic(msg: MsiMessage): Delivery {
    return this.send(msg, true);
  }

  // kvm_set_msi_irq (X86-5.1), then the APIC bus: the map path only when `inatomic`.
  private send(msg: MsiMessage, inatomic: boolean): Delivery {
    const o = this.platform.opts;
    const hi = msg.addressHi;
    if (o.use32BitIds === true && (hi & 0xff) !== 0) return -22; // X86-5.5: cannot happen by construction
    const lo = msg.addressLo;
    const data = msg.data;
    const dest = msiDest(lo, hi, o.use32BitIds);
    const dm = (lo >>> MsiBit.DestMode) & 1;
    const mode = (data >>> MsiBit.DeliveryMode) & 7;
    const vector = data & 0xff;
    const trig = (data >>> MsiBit.Trigger) & 1;
    const rh = (lo >>> MsiBit.RedirHint) & 1;
    const bus = this.platform.bus;
    return inatomic
      ? bus.deliverFast(null, dest, dm, mode, vector, trig, 1, Shorthand.None, rh)
      : bus.deliver(null, dest, dm, mode, vector, trig, 1, Shorthand.None, rh);
  }
}
