import type { Platform } from '../platform.js';
import type { Vcpu } from '../vcpu.js';
import {
  ApicMap,
  LOGICAL_MAP_DISABLED,
  LOGICAL_SW_DISABLED,
  LOGICAL_X2APIC,
  LOGICAL_XAPIC_FLAT,
} from './map.js';
import { matchDest } from './match.js';
import { ApicDest, BusResult, DeliveryMode, DestMode, Shorthand } from './message.js';

/**
 * The APIC bus (spec/x86.md §4.5): delivers a message to the local APICs it addresses, on
 * KVM's two paths — the optimised map (X86-4.10 map path; also the irqfd fast path's only
 * option, CORE-5.8) and the per-vCPU scan (slow path) — with lowest-priority arbitration by
 * vector hashing or arbitration counters.
 *
 * A message is passed as numbers: `dest`, `destMode` (0 physical, 1 logical), delivery `mode`,
 * `vector`, `trigger` (0 edge, 1 level), `level`, `shorthand`, `rh` (MSI redirection hint),
 * and `src` (the sending vCPU for IPIs, null for IOAPIC and MSI).
 */
export class ApicBus {
  private readonly map = new ApicMap();
  private dirty = true;
  // Result of the last map resolution: slots[base + bit] for each bit of mask.
  private rSlots: Int32Array = this.map.flat;
  private rBase = 0;
  private rMask = 0;
  private readonly candidates: Int32Array;

  /** @param platform - the machine internals. */
  constructor(private readonly platform: Platform) {
    this.candidates = new Int32Array(platform.opts.vcpus);
  }

  /** Marks the optimised map stale (an ID, LDR, DFR, mode or software-enable bit changed). */
  invalidate(): void {
    this.dirty = true;
  }

  /** The optimised map, rebuilt if stale. */
  apicMap(): ApicMap {
    if (this.dirty) {
      this.map.recalc(this.platform.vcpus, this.platform.opts.use32BitIds);
      this.dirty = false;
    }
    return this.map;
  }

  /**
   * `kvm_irq_delivery_to_apic`: the map path when it resolves the destination, else the slow
   * path (X86-4.9).
   * @returns how many APICs accepted (0 when none; never negative, X86-4.9's simplification).
   */
  deliver(
    src: Vcpu | null,
    dest: number,
    destMode: number,
    mode: number,
    vector: number,
    trigger: number,
    level: number,
    shorthand: number,
    rh: number,
  ): number {
    // deliverFast tries the one-lookup physical unicast first; only then the map, then slow.
    const r = this.deliverFast(src, dest, destMode, mode, vector, trigger, level, shorthand, rh);
    if (r !== BusResult.WouldBlock) return r;
    return this.deliverSlow(src, dest, destMode, mode, vector, trigger, level, shorthand, rh);
  }

  /**
   * `kvm_irq_delivery_to_apic_fast`: delivers through the optimised map, or returns
   * `WOULD_BLOCK` when the map cannot resolve the destination (shorthand, broadcast, no valid
   * map, mixed logical models). This is all the irqfd fast path may use (CORE-5.8).
   */
  deliverFast(
    src: Vcpu | null,
    dest: number,
    destMode: number,
    mode: number,
    vector: number,
    trigger: number,
    level: number,
    shorthand: number,
    rh: number,
  ): number {
    // The common message (no shorthand, one physical destination) first; everything else
    // out of line, because deliverFast is inlined into every injection and V8 inlines by size.
    if (shorthand === Shorthand.None && destMode === DestMode.Physical) {
      const r = this.unicast(dest, mode, vector, trigger, level);
      if (r !== BusResult.WouldBlock) return r;
    }
    return this.deliverMapped(src, dest, destMode, mode, vector, trigger, level, shorthand, rh);
  }

  // deliverFast for the rest: the self shorthand, other shorthands (WOULD_BLOCK), and
  // destinations resolved through the map (logical, lowest priority, or a stale map).
  private deliverMapped(
    src: Vcpu | null,
    dest: number,
    destMode: number,
    mode: number,
    vector: number,
    trigger: number,
    level: number,
    shorthand: number,
    rh: number,
  ): number {
    if (shorthand === Shorthand.Self)
      return src === null ? 0 : src.accept(mode, vector, level, trigger);
    if (shorthand !== Shorthand.None) return BusResult.WouldBlock;
    if (!this.resolve(src, dest, destMode, mode, vector, rh)) return BusResult.WouldBlock;
    const slots = this.rSlots;
    const base = this.rBase;
    let mask = this.rMask;
    const vcpus = this.platform.vcpus;
    let r = 0;
    while (mask !== 0) {
      const bit = 31 - Math.clz32(mask & -mask);
      mask &= mask - 1;
      const idx = slots[base + bit]!;
      if (idx >= 0) r += vcpus[idx]!.accept(mode, vector, level, trigger);
    }
    return r;
  }

  // A physical destination below 0xFF is never a broadcast: with a valid, current map it is
  // one lookup. WOULD_BLOCK otherwise (the caller resolves it the long way).
  private unicast(
    dest: number,
    mode: number,
    vector: number,
    trigger: number,
    level: number,
  ): number {
    if (dest >= ApicDest.Broadcast || this.dirty === true) return BusResult.WouldBlock;
    const map = this.map;
    if (map.valid !== true) return BusResult.WouldBlock;
    const idx = map.phys[dest]!;
    return idx < 0 ? 0 : this.platform.vcpus[idx]!.accept(mode, vector, level, trigger);
  }

  /**
   * `kvm_apic_map_get_dest_lapic`: resolves the destination through the map into
   * (rSlots, rBase, rMask), narrowing lowest-priority messages to one slot.
   * @returns false when the map cannot be used.
   */
  private resolve(
    src: Vcpu | null,
    dest: number,
    destMode: number,
    mode: number,
    vector: number,
    rh: number,
  ): boolean {
    const map = this.dirty ? this.apicMap() : this.map;
    if (!map.valid || this.isBroadcastDest(src, dest, map.logicalMode)) return false;
    if (destMode === DestMode.Physical) {
      this.rSlots = map.phys;
      this.rBase = dest >>> 0 > map.maxApicId ? 0 : dest;
      this.rMask = dest >>> 0 > map.maxApicId ? 0 : 1;
      return true;
    }
    switch (map.logicalMode) {
      case LOGICAL_SW_DISABLED:
        this.rSlots = map.flat;
        this.rBase = 0;
        this.rMask = 0;
        break;
      case LOGICAL_X2APIC: {
        const offset = (dest >>> 16) * 16;
        this.rSlots = map.phys;
        if (offset <= map.maxApicId) {
          const size = Math.min(map.maxApicId - offset + 1, 16);
          this.rBase = offset;
          this.rMask = dest & (0xffff >>> (16 - size));
        } else {
          this.rBase = 0;
          this.rMask = 0;
        }
        break;
      }
      case LOGICAL_XAPIC_FLAT:
        this.rSlots = map.flat;
        this.rBase = 0;
        this.rMask = dest & 0xff;
        break;
      case LOGICAL_MAP_DISABLED:
        return false;
      default:
        this.rSlots = map.cluster;
        this.rBase = ((dest >>> 4) & 0xf) * 4;
        this.rMask = dest & 0xf;
    }
    if (mode !== DeliveryMode.Lowest && rh === 0) return true;
    this.narrowLowest(vector);
    return true;
  }

  // X86-4.10 map path: one slot by vector hashing (every mask bit counts, occupied or not)
  // or by the smallest arbitration counter among occupied slots.
  private narrowLowest(vector: number): void {
    const slots = this.rSlots;
    const base = this.rBase;
    let mask = this.rMask;
    if (this.platform.opts.vectorHashing) {
      if (mask === 0) return;
      let k = vector % popcount(mask);
      while (k-- > 0) mask &= mask - 1;
      const bit = 31 - Math.clz32(mask & -mask);
      // An empty slot, or a disabled APIC, drops the interrupt (kvm_apic_disabled_lapic_found).
      this.rMask = slots[base + bit]! >= 0 ? 1 << bit : 0;
      return;
    }
    const vcpus = this.platform.vcpus;
    let lowest = -1;
    let lowestPrio = 0;
    while (mask !== 0) {
      const bit = 31 - Math.clz32(mask & -mask);
      mask &= mask - 1;
      const idx = slots[base + bit]!;
      if (idx < 0) continue;
      const prio = vcpus[idx]!.lapic.arbPrio;
      if (lowest < 0 || prio < lowestPrio) {
        lowest = bit;
        lowestPrio = prio;
      }
    }
    this.rMask = lowest >= 0 ? 1 << lowest : 0;
  }

  // kvm_apic_is_broadcast_dest
  private isBroadcastDest(src: Vcpu | null, dest: number, logicalMode: number): boolean {
    if (this.platform.opts.disableBroadcastQuirk) {
      if (dest === ApicDest.Broadcast && logicalMode !== LOGICAL_X2APIC) return true;
      return dest >>> 0 === ApicDest.X2apicBroadcast;
    }
    const x2apicIpi = src?.lapic.x2apic === true;
    return dest >>> 0 === (x2apicIpi ? ApicDest.X2apicBroadcast : ApicDest.Broadcast);
  }

  /**
   * The slow path of `__kvm_irq_delivery_to_apic`: every present APIC matching the
   * destination (X86-4.8) accepts, or — lowest priority — one software-enabled candidate by
   * `V mod N` (hashing) or the smallest arbitration counter (ties to the lowest index).
   */
  deliverSlow(
    src: Vcpu | null,
    dest: number,
    destMode: number,
    mode: number,
    vector: number,
    trigger: number,
    level: number,
    shorthand: number,
    rh: number,
  ): number {
    const p = this.platform;
    const quirk = !p.opts.disableBroadcastQuirk;
    // X86-4.9: a physical broadcast is never arbitrated as mode 001 (RH still arbitrates).
    if (
      destMode === DestMode.Physical &&
      dest === ApicDest.Broadcast &&
      (mode === DeliveryMode.Lowest || rh !== 0)
    ) {
      mode = DeliveryMode.Fixed;
    }
    const lowestPrio = mode === DeliveryMode.Lowest || rh !== 0;
    const vcpus = p.vcpus;
    const hashing = p.opts.vectorHashing;
    let r = -1;
    let lowest: Vcpu | null = null;
    let n = 0;
    for (let i = 0; i < vcpus.length; i++) {
      const v = vcpus[i]!;
      if (!v.lapic.present) continue;
      if (!matchDest(v.lapic, src, shorthand, dest, destMode, quirk)) continue;
      if (!lowestPrio) {
        r = (r < 0 ? 0 : r) + v.accept(mode, vector, level, trigger);
      } else if (v.lapic.swEnabled) {
        if (hashing) this.candidates[n++] = i;
        else if (lowest === null || v.lapic.arbPrio < lowest.lapic.arbPrio) lowest = v;
      }
    }
    if (n !== 0) lowest = vcpus[this.candidates[vector % n]!]!;
    if (lowest !== null) r = lowest.accept(mode, vector, level, trigger);
    if (r < 0) {
      // X86-4.9: KVM's slow path returns −1 when nobody matched; the model reports 0.
      if (p.trace.enabled === true) {
        p.trace.emit({
          type: 'deviation',
          code: 'X86-4.9',
          message: `no APIC matched dest ${dest >>> 0} (mode ${destMode}); reporting 0 instead of -1`,
        });
      }
      return 0;
    }
    return r;
  }

  /**
   * `kvm_intr_is_single_vcpu` (X86-6.8): the one vCPU a message resolves to, or −1. The map
   * path narrows lowest-priority messages (with hashing: the `V mod N` slot; without: the
   * current arbitration winner); the slow path counts matching present APICs.
   */
  singleVcpu(dest: number, destMode: number, mode: number, vector: number, rh: number): number {
    if (this.resolve(null, dest, destMode, mode, vector, rh)) {
      const mask = this.rMask;
      if (mask !== 0 && (mask & (mask - 1)) === 0) {
        const idx = this.rSlots[this.rBase + 31 - Math.clz32(mask)]!;
        if (idx >= 0) return idx;
      }
    }
    const quirk = !this.platform.opts.disableBroadcastQuirk;
    let found = -1;
    for (const v of this.platform.vcpus) {
      if (!v.lapic.present || !matchDest(v.lapic, null, Shorthand.None, dest, destMode, quirk))
        continue;
      if (found >= 0) return -1;
      found = v.index;
    }
    return found;
  }

  /**
   * `kvm_bitmap_or_dest_vcpus`: marks in `out` every vCPU a destination reaches (map path
   * when usable, else matching present APICs). Used for the EOI-interception rescan (X86-2.8).
   */
  destVcpus(dest: number, destMode: number, vector: number, out: Uint8Array): void {
    if (this.resolve(null, dest, destMode, DeliveryMode.Fixed, vector, 0)) {
      let mask = this.rMask;
      while (mask !== 0) {
        const bit = 31 - Math.clz32(mask & -mask);
        mask &= mask - 1;
        const idx = this.rSlots[this.rBase + bit]!;
        if (idx >= 0) out[idx] = 1;
      }
      return;
    }
    const quirk = !this.platform.opts.disableBroadcastQuirk;
    for (const v of this.platform.vcpus) {
      if (v.lapic.present && matchDest(v.lapic, null, Shorthand.None, dest, destMode, quirk)) {
        out[v.index] = 1;
      }
    }
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
