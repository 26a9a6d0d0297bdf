/**
 * How a figure was obtained (spec/costs.md legend): `M` measured and read in the source,
 * `M*` measured but read through a third-party summary, `D` derived by arithmetic, `E`
 * estimated (no published figure; the assumption is stated).
 */
export type CostStatus = 'M' | 'M*' | 'D' | 'E';

/**
 * One named cost: a figure in CPU cycles of its platform (or in nanoseconds), where it comes
 * from, and how sure it is. A constant may be an alias of another (`ref`): it then takes that
 * constant's value, so overriding the base moves every alias with it.
 */
export interface CostConstant {
  /** The figure (ignored when `ref` is set). */
  readonly value: number;
  /** `cycles` of the platform's CPU, or `ns` (independent of clock speed). */
  readonly unit: 'cycles' | 'ns';
  /** How the figure was obtained. */
  readonly status: CostStatus;
  /** Source id(s) from spec/costs.md (ISCA16, ATC17, PMU20, …) or `estimate`. */
  readonly source: string;
  /** What exactly the figure measures, or the assumption behind an estimate. */
  readonly note: string;
  /** Name of the constant this one is an alias of. */
  readonly ref?: string;
}
