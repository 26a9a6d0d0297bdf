import type { CpuInterface } from './cpu-interface.js';

/** One GICv3 CPU-interface system register: what a read returns, what a write does. */
export interface SysReg {
  /** Read behaviour (absent: write-only, reads 0). */
  readonly read?: (cpu: CpuInterface) => number;
  /** Write behaviour (absent: read-only, writes ignored). */
  readonly write?: (cpu: CpuInterface, value: bigint) => void;
}

/** ICC_SRE_EL1 as KVM presents it to a GICv3 guest: SRE, DFB, DIB set. */
const ICC_SRE = 0x7;

const lo = (v: bigint): number => Number(BigInt.asUintN(32, v));

/**
 * The ICC_*_EL1 register map (arm.md §2.5), name → behaviour. Reads and writes go to the
 * hardware virtual interface (no exit) except ICC_SGI*R (trapped: one `sysreg` exit) and a
 * DIR that TDIR traps.
 */
export const SYSREGS: Readonly<Record<string, SysReg>> = {
  ICC_IAR0_EL1: { read: (c) => c.iar(0) },
  ICC_IAR1_EL1: { read: (c) => c.iar(1) },
  ICC_EOIR0_EL1: { write: (c, v) => c.eoir(lo(v) & 0xffffff) },
  ICC_EOIR1_EL1: { write: (c, v) => c.eoir(lo(v) & 0xffffff) },
  ICC_HPPIR0_EL1: { read: (c) => c.hppir(0) },
  ICC_HPPIR1_EL1: { read: (c) => c.hppir(1) },
  ICC_DIR_EL1: { write: (c, v) => c.dir(lo(v) & 0xffffff) },
  ICC_RPR_EL1: { read: (c) => c.rpr },
  ICC_PMR_EL1: {
    read: (c) => c.pmr,
    write: (c, v) => {
      c.pmr = lo(v) & 0xff;
    },
  },
  ICC_CTLR_EL1: {
    // EOImode [1]; PRIbits [10:8] = 4 (five priority bits); IDbits [13:11] = 0 (16 bits).
    read: (c) => (c.eoiMode << 1) | (4 << 8),
    write: (c, v) => {
      c.eoiMode = (lo(v) >>> 1) & 1 ? 1 : 0;
    },
  },
  ICC_IGRPEN0_EL1: {
    read: (c) => (c.groupEnabled(0) ? 1 : 0),
    write: (c, v) => c.setGroupEnabled(0, (lo(v) & 1) === 1),
  },
  ICC_IGRPEN1_EL1: {
    read: (c) => (c.groupEnabled(1) ? 1 : 0),
    write: (c, v) => c.setGroupEnabled(1, (lo(v) & 1) === 1),
  },
  ICC_AP0R0_EL1: { read: (c) => c.apr(0), write: (c, v) => c.setApr(0, lo(v)) },
  ICC_AP1R0_EL1: { read: (c) => c.apr(1), write: (c, v) => c.setApr(1, lo(v)) },
  ICC_SGI1R_EL1: { write: (c, v) => c.sgi(v, true) },
  ICC_ASGI1R_EL1: { write: (c, v) => c.sgi(v, true) },
  ICC_SGI0R_EL1: { write: (c, v) => c.sgi(v, false) },
  ICC_SRE_EL1: { read: () => ICC_SRE },
};
