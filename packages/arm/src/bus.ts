import type { CpuInterface } from './gic/cpu-interface.js';
import { gicvReg } from './gic/cpuif-v2.js';
import { DIST_V2 } from './gic/dist-v2.js';
import { DIST_V3 } from './gic/dist-v3.js';
import { REDIST_RD, REDIST_SGI, REDIST_SIZE, SGI_BASE } from './gic/redist.js';
import {
  type RegContext,
  type Region,
  regRead,
  regRead64,
  regWrite,
  regWrite64,
} from './gic/regs.js';
import { ITS_REGS } from './its/its-regs.js';
import { ITS_FRAME_SIZE } from './its/types.js';
import type { GicLayout } from './layout.js';
import { beginTrap, endTrap, ensureRunning, leaveGuest } from './vgic/run.js';
import type { VgicCpu } from './vgic/vcpu.js';
import type { Vgic } from './vgic/vgic.js';

/** Where an address falls: which register map, which vCPU's banked copy, at which offset. */
interface Target {
  regions: readonly Region[] | null;
  v: VgicCpu;
  off: number;
  gicv: boolean;
}

/**
 * The guest's MMIO view of the GIC (arm.md §2, §5.1): decodes an address to a frame and a
 * register map and performs the access. Distributor, redistributor and ITS accesses trap (one
 * `mmio` exit on the accessing vCPU, ARM-7.3); the GICv2 GICV frame is hardware and never
 * exits. Wrong sizes, misaligned or unmapped accesses read 0 and ignore writes (ARM-2.1):
 * nothing a guest does here throws.
 */
export class GuestBus {
  /**
   * @param gic - the VGIC.
   * @param layout - frame addresses.
   * @param cpu - the CPU interface of a vCPU.
   * @param counted - false for accesses that model the guest's earlier setup (no exits).
   */
  constructor(
    private readonly gic: Vgic,
    readonly layout: GicLayout,
    private readonly cpu: (vcpu: number) => CpuInterface,
    private readonly counted: boolean,
  ) {}

  private decode(v: VgicCpu, addr: number): Target | null {
    const gic = this.gic;
    const l = this.layout;
    const distSize = gic.v3 ? 0x10000 : 0x1000;
    if (addr >= l.dist && addr < l.dist + distSize) {
      return { regions: gic.v3 ? DIST_V3 : DIST_V2, v, off: addr - l.dist, gicv: false };
    }
    if (!gic.v3 && addr >= l.gicc && addr < l.gicc + 0x2000) {
      return { regions: null, v, off: addr - l.gicc, gicv: true };
    }
    if (gic.v3 && addr >= l.redist && addr < l.redist + gic.vcpus.length * REDIST_SIZE) {
      const n = Math.floor((addr - l.redist) / REDIST_SIZE);
      const off = addr - l.redist - n * REDIST_SIZE;
      const rv = gic.vcpus[n]!;
      return off >= SGI_BASE
        ? { regions: REDIST_SGI, v: rv, off: off - SGI_BASE, gicv: false }
        : { regions: REDIST_RD, v: rv, off, gicv: false };
    }
    if (gic.its !== null && addr >= l.its && addr < l.its + ITS_FRAME_SIZE) {
      return { regions: ITS_REGS, v, off: addr - l.its, gicv: false };
    }
    return null;
  }

  private enter(v: VgicCpu): boolean {
    this.gic.vm.scheduler.enter();
    if (!this.counted) {
      // Setup the guest did earlier: same semantics, no exit counted.
      if (!v.inGuest) return false;
      leaveGuest(this.gic, v);
      return true;
    }
    ensureRunning(this.gic, v);
    return beginTrap(this.gic, v, v.c['exits.mmio']);
  }

  private leave(v: VgicCpu, trapped: boolean): void {
    try {
      endTrap(this.gic, v, trapped);
    } finally {
      this.gic.vm.scheduler.exit();
    }
  }

  /** A guest read of 1, 2 or 4 bytes from vCPU `v`. */
  read(v: VgicCpu, addr: number, size: number): number {
    const t = this.decode(v, addr);
    if (t === null) return 0;
    if (t.gicv) return this.gicv(t, size, null);
    const trapped = this.enter(v);
    try {
      return regRead(t.regions!, this.ctx(t), t.off, size);
    } finally {
      this.leave(v, trapped);
    }
  }

  /** A guest write of 1, 2 or 4 bytes from vCPU `v`. */
  write(v: VgicCpu, addr: number, size: number, value: number): void {
    const t = this.decode(v, addr);
    if (t === null) return;
    if (t.gicv) {
      this.gicv(t, size, value);
      return;
    }
    const trapped = this.enter(v);
    try {
      regWrite(t.regions!, this.ctx(t), t.off, size, Number.isFinite(value) ? value : 0);
    } finally {
      this.leave(v, trapped);
    }
  }

  /** A guest 64-bit read (registers that accept it; else 0). */
  read64(v: VgicCpu, addr: number): bigint {
    const t = this.decode(v, addr);
    if (t === null || t.gicv) return 0n;
    const trapped = this.enter(v);
    try {
      return regRead64(t.regions!, this.ctx(t), t.off);
    } finally {
      this.leave(v, trapped);
    }
  }

  /** A guest 64-bit write. */
  write64(v: VgicCpu, addr: number, value: bigint): void {
    const t = this.decode(v, addr);
    if (t === null || t.gicv) return;
    const trapped = this.enter(v);
    try {
      regWrite64(t.regions!, this.ctx(t), t.off, value);
    } finally {
      this.leave(v, trapped);
    }
  }

  private ctx(t: Target): RegContext {
    return { gic: this.gic, v: t.v, user: false };
  }

  // The GICV frame: 32-bit aligned accesses only; hardware, no exit.
  private gicv(t: Target, size: number, value: number | null): number {
    if (size !== 4 || t.off % 4 !== 0) return 0;
    const reg = gicvReg(t.off);
    if (reg === undefined) return 0;
    const cpu = this.cpu(t.v.id);
    if (value === null) return reg.read === undefined ? 0 : reg.read(cpu) >>> 0;
    reg.write?.(cpu, value >>> 0);
    return 0;
  }
}
