import type { Lapic } from '../lapic/lapic.js';
import type { Vcpu } from '../vcpu.js';
import {
  APIC_BROADCAST,
  DEST_PHYSICAL,
  SH_ALL_BUT,
  SH_ALL_INC,
  SH_NONE,
  SH_SELF,
  X2APIC_BROADCAST,
} from './message.js';

/** DFR value of the flat model. */
export const DFR_FLAT = 0xffffffff;
/** DFR value of the cluster model. */
export const DFR_CLUSTER = 0x0fffffff;

/**
 * `kvm_apic_match_dest` (X86-4.8): does `target` recognise a message with this destination?
 * `src` is the sending vCPU for IPIs and null for IOAPIC/MSI messages; `quirk` is true unless
 * `x2apicApi.disableBroadcastQuirk` (X86-4.15).
 */
export function matchDest(
  target: Lapic,
  src: Vcpu | null,
  shorthand: number,
  dest: number,
  destMode: number,
  quirk: boolean,
): boolean {
  switch (shorthand) {
    case SH_NONE: {
      // Broadcast quirk: 0xFF from an IOAPIC/MSI means "all" to an x2APIC-mode target.
      const mda =
        quirk && src === null && dest === APIC_BROADCAST && target.x2apic
          ? X2APIC_BROADCAST
          : dest >>> 0;
      return destMode === DEST_PHYSICAL ? matchPhysical(target, mda) : matchLogical(target, mda);
    }
    case SH_SELF:
      return src !== null && src.lapic === target;
    case SH_ALL_INC:
      return true;
    case SH_ALL_BUT:
      return src === null || src.lapic !== target;
    default:
      return false;
  }
}

function isBroadcast(target: Lapic, mda: number): boolean {
  return mda === (target.x2apic ? X2APIC_BROADCAST : APIC_BROADCAST);
}

// kvm_apic_match_physical_addr, with KVM's hotplug hack: an xAPIC-mode target is matched by
// its x2APIC ID when the destination cannot be an xAPIC ID.
function matchPhysical(target: Lapic, mda: number): boolean {
  if (isBroadcast(target, mda)) return true;
  if (target.x2apic || mda > 0xff) return mda === target.vcpuId;
  return mda === target.idReg >>> 24;
}

// kvm_apic_match_logical_addr
function matchLogical(target: Lapic, mda: number): boolean {
  if (isBroadcast(target, mda)) return true;
  const ldr = target.ldr >>> 0;
  if (target.x2apic) return ldr >>> 16 === mda >>> 16 && (ldr & mda & 0xffff) !== 0;
  const lid = ldr >>> 24;
  const dfr = target.dfr >>> 0;
  if (dfr === DFR_FLAT) return (lid & mda) !== 0;
  if (dfr === DFR_CLUSTER) return lid >>> 4 === mda >>> 4 && (lid & mda & 0xf) !== 0;
  return false;
}
