import { IrqError } from '@irqkit/core';
import { matchDest } from '../apic/match.js';
import { SH_NONE } from '../apic/message.js';
import type { Platform } from '../platform.js';
import type { Ioapic } from './ioapic.js';
import { IOAPIC_NUM_PINS, RTC_PIN, RTE_DEST_SHIFT } from './regs.js';

/**
 * `struct kvm_ioapic_state` (X86-2.17), as KVM_GET_IRQCHIP / KVM_SET_IRQCHIP move it. The
 * redirection table holds 64-bit entries as bigints (bits 63:56 are the destination).
 */
export interface KvmIoapicState {
  /** `base_address` (u64). */
  readonly baseAddress: number;
  /** `ioregsel` (u32). */
  readonly ioregsel: number;
  /** `id` (u32; only bits 3:0 are meaningful). */
  readonly id: number;
  /** `irr` (u32): latched requests, without edge pins whose latest edge was delivered. */
  readonly irr: number;
  /** `pad` (u32). */
  readonly pad: number;
  /** `redirtbl[24]` (u64 each). */
  readonly redirtbl: readonly bigint[];
}

/** `kvm_get_ioapic`: the state with `irr & ~irrDelivered`. */
export function getIoapicState(io: Ioapic): KvmIoapicState {
  const redirtbl: bigint[] = [];
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    redirtbl.push((BigInt(io.hi[pin]!) << 32n) | BigInt(io.lo[pin]!));
  }
  return {
    baseAddress: io.baseAddress,
    ioregsel: io.ioregsel >>> 0,
    id: io.ioapicId >>> 0,
    irr: (io.irr & ~io.irrDelivered) >>> 0,
    pad: 0,
    redirtbl,
  };
}

function u32(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new IrqError('EINVAL', `ioapic state ${what} ${String(v)} is not a u32`);
  }
  return v;
}

/**
 * `kvm_set_ioapic` (X86-2.17): copies the state, clears IRR and `irrDelivered`, recomputes EOI
 * interception, then re-asserts every pin set in `state.irr` with `lineStatus` (X86-2.9 steps
 * 2–5): unmasked edge pins deliver again, level pins with remote IRR only latch. RTC tracking
 * is rebuilt from the LAPICs afterwards.
 * @throws IrqError EINVAL for a malformed state (nothing changes).
 */
export function setIoapicState(p: Platform, io: Ioapic, state: KvmIoapicState): void {
  if (typeof state !== 'object' || state === null)
    throw new IrqError('EINVAL', 'ioapic state must be an object');
  const base = state.baseAddress;
  if (typeof base !== 'number' || !Number.isSafeInteger(base) || base < 0) {
    throw new IrqError('EINVAL', `ioapic state baseAddress ${String(base)} is invalid`);
  }
  const ioregsel = u32('ioregsel', state.ioregsel);
  const id = u32('id', state.id);
  const irr = u32('irr', state.irr);
  if (!Array.isArray(state.redirtbl) || state.redirtbl.length !== IOAPIC_NUM_PINS) {
    throw new IrqError('EINVAL', 'ioapic state redirtbl must have 24 entries');
  }
  for (const e of state.redirtbl) {
    if (typeof e !== 'bigint' || e < 0n || e > 0xffffffffffffffffn) {
      throw new IrqError('EINVAL', `ioapic state redirection entry ${String(e)} is not a u64`);
    }
  }
  io.baseAddress = base;
  io.ioregsel = ioregsel;
  io.ioapicId = id;
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    const e = state.redirtbl[pin]!;
    io.lo[pin] = Number(e & 0xffffffffn);
    io.hi[pin] = Number(e >> 32n);
  }
  io.irr = 0;
  io.irrDelivered = 0;
  p.rescanEoiAll();
  const sched = p.vm.scheduler;
  sched.enter();
  try {
    // kvm_ioapic_inject_all
    io.rtc.reset();
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      if ((irr & (1 << pin)) !== 0) io.setLevel(pin, true, true);
    }
    restoreRtcTracking(p, io);
  } finally {
    sched.exit();
  }
}

/** `kvm_rtc_eoi_tracking_restore_all`: from the LAPICs, for pin 8's current entry. */
export function restoreRtcTracking(p: Platform, io: Ioapic): void {
  const lo = io.lo[RTC_PIN]!;
  const dest = io.hi[RTC_PIN]! >>> RTE_DEST_SHIFT;
  const mode = (lo >>> 11) & 1;
  const quirk = !p.opts.disableBroadcastQuirk;
  io.rtc.restoreAll(
    p.vcpus.map((v) => v.lapic),
    lo & 0xff,
    (l) => matchDest(l, null, SH_NONE, dest, mode, quirk),
  );
}
