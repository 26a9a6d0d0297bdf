import type { Vcpu } from '../vcpu.js';

/** Logical model of the optimised map: no software-enabled APIC with an LDR yet. */
export const LOGICAL_SW_DISABLED = 0;
/** Logical model: xAPIC flat (one cluster of 8 slots). */
export const LOGICAL_XAPIC_FLAT = 1;
/** Logical model: xAPIC cluster (16 clusters of 4 slots). */
export const LOGICAL_XAPIC_CLUSTER = 2;
/** Logical model: x2APIC (clusters of 16 taken from the physical map). */
export const LOGICAL_X2APIC = 3;
/** Logical destinations cannot use the map (mixed models, aliased slots). */
export const LOGICAL_MAP_DISABLED = 4;

/**
 * KVM's optimised APIC map (`struct kvm_apic_map`, X86-4.10): a physical-ID → vCPU table and
 * logical cluster tables, rebuilt whenever an APIC ID, LDR, DFR, mode or software-enable bit
 * changes. Slots hold vCPU indices, −1 when empty.
 */
export class ApicMap {
  /** False when physical IDs alias (KVM then has no map and every message takes the slow path). */
  valid = true;
  /** max(255, highest present x2APIC ID). */
  maxApicId = 255;
  /** Physical ID → vCPU index. */
  phys: Int32Array = new Int32Array(256).fill(-1);
  /** One of the `LOGICAL_*` models. */
  logicalMode: number = LOGICAL_SW_DISABLED;
  /** xAPIC flat cluster: 8 slots. */
  readonly flat: Int32Array = new Int32Array(8).fill(-1);
  /** xAPIC clusters: 16 × 4 slots. */
  readonly cluster: Int32Array = new Int32Array(64).fill(-1);

  /**
   * `kvm_recalculate_apic_map`.
   * @param x2apicFormat - KVM_X2APIC_API_USE_32BIT_IDS (enables the hotplug hack, X86-4.8).
   */
  recalc(vcpus: readonly Vcpu[], x2apicFormat: boolean): void {
    let max = 255;
    for (const v of vcpus) if (v.lapic.present && v.lapic.vcpuId > max) max = v.lapic.vcpuId;
    if (this.phys.length !== max + 1) this.phys = new Int32Array(max + 1);
    this.phys.fill(-1);
    this.flat.fill(-1);
    this.cluster.fill(-1);
    this.maxApicId = max;
    this.valid = true;
    this.logicalMode = LOGICAL_SW_DISABLED;
    for (const v of vcpus) {
      if (!v.lapic.present) continue;
      if (!this.addPhysical(v, x2apicFormat)) {
        this.valid = false;
        return;
      }
      this.addLogical(v);
    }
  }

  private addPhysical(v: Vcpu, x2apicFormat: boolean): boolean {
    const apic = v.lapic;
    const x2id = apic.vcpuId;
    const xid = apic.xapicId;
    if (x2apicFormat) {
      // Hotplug hack: reachable by the 32-bit ID; aliased xAPIC IDs are silently ignored.
      if (apic.x2apic || x2id > 0xff) this.phys[x2id] = v.index;
      if (!apic.x2apic && this.phys[xid]! < 0) this.phys[xid] = v.index;
      return true;
    }
    const id = apic.x2apic ? x2id : xid;
    if (this.phys[id]! >= 0) return false; // aliased: no map at all
    this.phys[id] = v.index;
    return true;
  }

  private addLogical(v: Vcpu): void {
    if (this.logicalMode === LOGICAL_MAP_DISABLED) return;
    const apic = v.lapic;
    if (!apic.swEnabled || apic.ldr === 0) return;
    const mode = apic.x2apic
      ? LOGICAL_X2APIC
      : apic.dfr === 0xffffffff
        ? LOGICAL_XAPIC_FLAT
        : LOGICAL_XAPIC_CLUSTER;
    if (this.logicalMode === LOGICAL_SW_DISABLED) this.logicalMode = mode;
    else if (this.logicalMode !== mode) {
      this.logicalMode = LOGICAL_MAP_DISABLED;
      return;
    }
    if (mode === LOGICAL_X2APIC) return; // x2APIC clusters come from the physical map
    const lid = apic.ldr >>> 24;
    const slots = mode === LOGICAL_XAPIC_FLAT ? this.flat : this.cluster;
    const base = mode === LOGICAL_XAPIC_FLAT ? 0 : ((lid >>> 4) & 0xf) * 4;
    const mask = mode === LOGICAL_XAPIC_FLAT ? lid & 0xff : lid & 0xf;
    if (mask === 0) return;
    const slot = 31 - Math.clz32(mask & -mask);
    if ((mask & (mask - 1)) !== 0 || slots[base + slot]! >= 0) {
      this.logicalMode = LOGICAL_MAP_DISABLED;
      return;
    }
    slots[base + slot] = v.index;
  }
}
