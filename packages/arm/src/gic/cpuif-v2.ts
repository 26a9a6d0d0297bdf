import type { CpuInterface } from './cpu-interface.js';

/** One register of the GICv2 virtual CPU interface frame (GICV, 8 KiB). */
export interface GicvReg {
  /** Offset in the frame. */
  readonly offset: number;
  /** Register name. */
  readonly name: string;
  /** Read behaviour (absent: RAZ). */
  readonly read?: (cpu: CpuInterface) => number;
  /** Write behaviour (absent: WI). */
  readonly write?: (cpu: CpuInterface, value: number) => void;
}

/** GICV_CTLR: EnableGrp0 [0], EnableGrp1 [1], CBPR [4], EOImode [9]. */
function readCtlr(c: CpuInterface): number {
  return (c.groupEnabled(0) ? 1 : 0) | (c.groupEnabled(1) ? 2 : 0) | (c.eoiMode << 9);
}

function writeCtlr(c: CpuInterface, v: number): void {
  c.eoiMode = ((v >>> 9) & 1) === 1 ? 1 : 0;
  if (c.groupEnabled(0) !== ((v & 1) === 1)) c.setGroupEnabled(0, (v & 1) === 1);
  if (c.groupEnabled(1) !== ((v & 2) === 2)) c.setGroupEnabled(1, (v & 2) === 2);
}

/**
 * The GICV frame map (arm.md §2.5): the guest's memory-mapped virtual CPU interface. It is
 * hardware, mapped into the guest: accesses never exit. IAR/EOIR/DIR carry the source CPU of
 * SGIs in bits [12:10].
 */
export const GICV_REGS: readonly GicvReg[] = [
  { offset: 0x0000, name: 'GICV_CTLR', read: readCtlr, write: writeCtlr },
  {
    offset: 0x0004,
    name: 'GICV_PMR',
    read: (c) => c.pmr,
    write: (c, v) => {
      c.pmr = v & 0xff;
    },
  },
  { offset: 0x000c, name: 'GICV_IAR', read: (c) => c.iar(-1) },
  { offset: 0x0010, name: 'GICV_EOIR', write: (c, v) => c.eoir(v & 0x1fff) },
  { offset: 0x0014, name: 'GICV_RPR', read: (c) => c.rpr },
  { offset: 0x0018, name: 'GICV_HPPIR', read: (c) => c.hppir(-1) },
  { offset: 0x0020, name: 'GICV_AIAR', read: (c) => c.iar(1) },
  { offset: 0x0024, name: 'GICV_AEOIR', write: (c, v) => c.eoir(v & 0x1fff) },
  { offset: 0x0028, name: 'GICV_AHPPIR', read: (c) => c.hppir(1) },
  {
    offset: 0x00d0,
    name: 'GICV_APR0',
    read: (c) => (c.apr(0) | c.apr(1)) >>> 0,
    write: (c, v) => c.setApr(0, v),
  },
  { offset: 0x00fc, name: 'GICV_IIDR', read: () => (0x4b << 20) | (2 << 16) | 0x43b },
  { offset: 0x1000, name: 'GICV_DIR', write: (c, v) => c.dir(v & 0x1fff) },
];

/** The GICV register at `offset`, if any. */
export function gicvReg(offset: number): GicvReg | undefined {
  return GICV_REGS.find((r) => r.offset === offset);
}
