/** Guest physical addresses of the GIC frames (QEMU `virt` layout). */
export interface GicLayout {
  /** Distributor (GICv2: 4 KiB, GICv3: 64 KiB). */
  readonly dist: number;
  /** GICv2: the virtual CPU interface the guest sees as its GICC (8 KiB). */
  readonly gicc: number;
  /** GICv3: the redistributor region (128 KiB per vCPU). */
  readonly redist: number;
  /** The ITS frame (128 KiB). */
  readonly its: number;
}

/** The default layout; the ITS base comes from the machine options. */
export function defaultLayout(itsBase: number): GicLayout {
  return { dist: 0x0800_0000, gicc: 0x0801_0000, redist: 0x080a_0000, its: itsBase };
}
