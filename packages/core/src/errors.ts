/**
 * The one error type irqkit throws, with an errno-like code (spec/core.md CORE-0.3).
 *
 * A thrown `IrqError` never leaves partial state behind: every operation validates first and
 * changes state only once nothing can fail any more.
 */

/** Error codes, named after the Linux errno values KVM returns for the same condition. */
export type IrqErrorCode =
  | 'EPERM'
  | 'ENOENT'
  | 'ENXIO'
  | 'EBADF'
  | 'EAGAIN'
  | 'ENOMEM'
  | 'EACCES'
  | 'EFAULT'
  | 'EBUSY'
  | 'EEXIST'
  | 'ENODEV'
  | 'EINVAL'
  | 'ENOTTY'
  | 'ENOSPC';

/** Linux errno numbers for each {@link IrqErrorCode} (as KVM's ioctls return them, negated). */
export const ERRNO: Readonly<Record<IrqErrorCode, number>> = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
});

/** An error raised by an irqkit operation; `code` says which errno KVM would have returned. */
export class IrqError extends Error {
  /** The errno-like code, e.g. `'EINVAL'`. */
  readonly code: IrqErrorCode;

  /**
   * @param code - the errno-like code.
   * @param message - what was wrong; names the offending value.
   */
  constructor(code: IrqErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'IrqError';
    this.code = code;
  }

  /** The positive Linux errno number for {@link IrqError.code}. */
  get errno(): number {
    return ERRNO[this.code];
  }
}

/**
 * Maps a negative (or positive) errno number to its code, e.g. `-22` → `'EINVAL'`.
 * Unknown numbers map to `'EINVAL'`, the catch-all KVM uses for bad requests.
 */
export function errnoToCode(errno: number): IrqErrorCode {
  const n = Math.abs(errno);
  for (const code of Object.keys(ERRNO) as IrqErrorCode[]) {
    if (ERRNO[code] === n) return code;
  }
  return 'EINVAL';
}

/** Throws `IrqError('EINVAL')` unless `value` is an integer in `[min, max]`. */
export function checkRange(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new IrqError('EINVAL', `${what} ${String(value)} is out of range ${min}..${max}`);
  }
  return value;
}
