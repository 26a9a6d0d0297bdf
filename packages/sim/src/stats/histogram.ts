// The bucket layout as a `const enum`: the bundle writes the members as literals (module-level
// constants would be a context load and check on every record).
const enum Layout {
  /** Values below this are counted exactly, one bucket per nanosecond. */
  Linear = 1024,
  /** Sub-buckets per power of two above {@link Layout.Linear} (relative precision 1/256). */
  Sub = 256,
  /** Powers of two covered above 1024 ns: up to 2^44 ns (about five hours). */
  Octaves = 34,
}

/**
 * A latency histogram in nanoseconds with log-linear buckets (as HdrHistogram does): exact
 * below 1 µs, within 0.2 % above, fixed memory, and recording allocates nothing. Quantiles
 * report the lower bound of the bucket holding the requested rank; the maximum is exact.
 */
export class Histogram {
  private readonly buckets = new Float64Array(Layout.Linear + Layout.Octaves * Layout.Sub);
  private n = 0;
  private sum = 0;
  private maxValue = 0;
  private minValue = Number.POSITIVE_INFINITY;

  /** Records one value (negative values count as 0). */
  record(ns: number): void {
    const v = ns > 0 ? Math.round(ns) : 0;
    this.buckets[bucketOf(v)]!++;
    this.n++;
    this.sum += v;
    if (v > this.maxValue) this.maxValue = v;
    if (v < this.minValue) this.minValue = v;
  }

  /** Number of recorded values. */
  get count(): number {
    return this.n;
  }

  /** Largest recorded value (0 when empty). */
  get max(): number {
    return this.maxValue;
  }

  /** Smallest recorded value (0 when empty). */
  get min(): number {
    return this.n === 0 ? 0 : this.minValue;
  }

  /** Mean of the recorded values (0 when empty). */
  get mean(): number {
    return this.n === 0 ? 0 : this.sum / this.n;
  }

  /**
   * The value at quantile `q` (0..1): the lower bound of the bucket holding that rank, capped
   * at the maximum; the top rank is the exact maximum.
   */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    if (rank >= this.n) return this.maxValue; // the largest value is known exactly
    let seen = 0;
    const b = this.buckets;
    // Buckets below the minimum's are empty (bucketOf is monotonic): start there.
    for (let i = bucketOf(this.minValue); i < b.length; i++) {
      seen += b[i]!;
      if (seen >= rank) return Math.min(lowerBound(i), this.maxValue);
    }
    return this.maxValue;
  }

  /** Adds every value `other` recorded (same bucket layout: the result is exact). */
  merge(other: Histogram): void {
    const b = this.buckets;
    const o = other.buckets;
    if (other.n > 0) {
      // Only buckets from the minimum's to the maximum's can hold values (bucketOf is monotonic).
      const end = Math.min(bucketOf(other.maxValue), b.length - 1);
      for (let i = bucketOf(other.minValue); i <= end; i++) b[i]! += o[i]!;
    }
    this.n += other.n;
    this.sum += other.sum;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
  }

  /** Forgets every value. */
  reset(): void {
    this.buckets.fill(0);
    this.n = 0;
    this.sum = 0;
    this.maxValue = 0;
    this.minValue = Number.POSITIVE_INFINITY;
  }
}

/** 2^k for k = 0..OCTAVES (a table: `2 ** k` is a library call on the per-record path). */
const POW2 = Float64Array.from({ length: Layout.Octaves + 1 }, (_, k) => 2 ** k);

function bucketOf(v: number): number {
  if (v < Layout.Linear) return v;
  if (v < 2147483648) {
    // 2^k ≤ v < 2^(k+1), k ≥ 10: octave k − 9 starts at 2^k and its SUB steps are 2^(k−8)
    // wide, so the general formula below reduces to integer shifts (same buckets).
    const k = 31 - Math.clz32(v);
    return Layout.Linear + (k - 10) * Layout.Sub + (v >>> (k - 8)) - Layout.Sub;
  }
  // v ≥ 1024: octave e ≥ 1 holds [1024·2^(e−1), 1024·2^e) in SUB equal steps.
  let e = (v < 2 ** 31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v))) - 9;
  if (e > Layout.Octaves) return Layout.Linear + Layout.Octaves * Layout.Sub - 1;
  let base = Layout.Linear * POW2[e - 1]!;
  // log2 of a huge value may round across a power of two: correct by one octave.
  if (v < base) {
    e--;
    base /= 2;
  } else if (v >= 2 * base) {
    e++;
    base *= 2;
  }
  const sub = Math.min(Layout.Sub - 1, Math.floor(((v - base) * Layout.Sub) / base));
  return Layout.Linear + (e - 1) * Layout.Sub + sub;
}

function lowerBound(i: number): number {
  if (i < Layout.Linear) return i;
  const e = Math.floor((i - Layout.Linear) / Layout.Sub) + 1;
  const sub = (i - Layout.Linear) % Layout.Sub;
  const base = Layout.Linear * 2 ** (e - 1);
  return Math.round(base + (sub * base) / Layout.Sub);
}
