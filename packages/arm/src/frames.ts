import type { GuestBus } from './bus.js';
import type { VgicCpu } from './vgic/vcpu.js';

/**
 * One guest-visible register frame (the distributor, a redistributor, the ITS) seen from a
 * vCPU: offsets are relative to the frame. Accesses are guest accesses — they trap (one `mmio`
 * exit), follow the register maps, and never throw.
 */
export class GicFrame {
  /**
   * @param bus - the trapping guest bus.
   * @param base - the frame's guest physical address.
   * @param vcpu - resolves the accessing vCPU.
   */
  constructor(
    private readonly bus: GuestBus,
    readonly base: number,
    private readonly vcpu: (n: number) => VgicCpu,
  ) {}

  /** Reads `size` bytes (1, 2 or 4) at `offset` from vCPU `vcpu`. */
  read(offset: number, size = 4, vcpu = 0): number {
    return this.bus.read(this.vcpu(vcpu), this.base + offset, size);
  }

  /** Writes `size` bytes at `offset` from vCPU `vcpu`. */
  write(offset: number, value: number, size = 4, vcpu = 0): void {
    this.bus.write(this.vcpu(vcpu), this.base + offset, size, value);
  }

  /** Reads a 64-bit register. */
  read64(offset: number, vcpu = 0): bigint {
    return this.bus.read64(this.vcpu(vcpu), this.base + offset);
  }

  /** Writes a 64-bit register. */
  write64(offset: number, value: bigint, vcpu = 0): void {
    this.bus.write64(this.vcpu(vcpu), this.base + offset, value);
  }
}
