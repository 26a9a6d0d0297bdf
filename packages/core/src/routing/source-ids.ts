import { IrqError } from '../errors.js';

/** The source ids the injection path names, as a const enum written in place (see `Dlv`). */
export const enum SourceId {
  Userspace = 0,
  Resampler = 1,
  Max = 64,
}

/** Source id of userspace lines, `signalMsi` and every non-resampling irqfd (CORE-3.2). */
export const USERSPACE_SOURCE_ID: 0 = SourceId.Userspace;
/** Source id shared by every resampling irqfd on every GSI (CORE-3.2, CORE-6.13). */
export const RESAMPLER_SOURCE_ID: 1 = SourceId.Resampler;
/** The fixed source id of the x86 PIT (CORE-3.2). */
export const PIT_SOURCE_ID = 2;
/** Source ids are bits of a 64-bit map. */
export const MAX_SOURCE_IDS: 64 = SourceId.Max;

/**
 * KVM's historical source-id allocator, kept as an optional API (CORE-3.3): ids 0 and 1 are
 * reserved forever, the others are handed out lowest first.
 */
export class SourceIdAllocator {
  private readonly used = new Uint8Array(MAX_SOURCE_IDS);
  private readonly reserved = new Uint8Array(MAX_SOURCE_IDS);

  constructor() {
    this.reserved[USERSPACE_SOURCE_ID] = 1;
    this.reserved[RESAMPLER_SOURCE_ID] = 1;
  }

  /** Reserves `id` permanently (x86 reserves 2 while a PIT exists). */
  reserve(id: number): void {
    this.reserved[id] = 1;
  }

  /**
   * The lowest free id in 2..63.
   * @throws IrqError ENOSPC when none is free (KVM returned EFAULT).
   */
  request(): number {
    for (let id = 2; id < MAX_SOURCE_IDS; id++) {
      if (this.used[id] === 0 && this.reserved[id] === 0) {
        this.used[id] = 1;
        return id;
      }
    }
    throw new IrqError('ENOSPC', 'all 64 irq source ids are in use');
  }

  /**
   * Checks that `id` may be freed and marks it free.
   * @throws IrqError EINVAL for reserved or out-of-range ids.
   */
  release(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_SOURCE_IDS) {
      throw new IrqError('EINVAL', `irq source id ${id} is out of range 0..63`);
    }
    if (this.reserved[id] === 1) {
      throw new IrqError('EINVAL', `irq source id ${id} is reserved and cannot be freed`);
    }
    this.used[id] = 0;
  }
}
