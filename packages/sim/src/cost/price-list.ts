import type { CostConstant } from './constant.js';
import type { CostRule } from './cost-map.js';
import type { Platform } from './platforms.js';

/** Scenario overrides of one architecture's platform. */
export interface CostOverrides {
  /** Replaces the platform's clock. */
  readonly cpuGHz?: number | undefined;
  /** Replaces constants' values (in each constant's own unit: cycles or ns). */
  readonly constants?: Readonly<Record<string, number>> | undefined;
}

/**
 * A platform with the scenario's overrides applied and aliases resolved: what one run
 * actually charges. Overriding a constant also moves every alias of it.
 */
export class PriceList {
  /** The platform it was built from. */
  readonly platform: Platform;
  /** Clock in GHz (cycles per nanosecond). */
  readonly cpuGHz: number;
  private readonly values = new Map<string, number>();

  /**
   * @throws Error naming the constant when an override names an unknown constant or is not a
   * finite number, or when `cpuGHz` is not positive.
   */
  constructor(platform: Platform, overrides: CostOverrides = {}) {
    this.platform = platform;
    const ghz = overrides.cpuGHz ?? platform.cpuGHz;
    if (!(ghz > 0) || !Number.isFinite(ghz)) {
      throw new Error(`cpuGHz for ${platform.name} must be a positive number, got ${ghz}`);
    }
    this.cpuGHz = ghz;
    const set = overrides.constants ?? {};
    for (const [name, v] of Object.entries(set)) {
      if (platform.constants[name] === undefined) {
        throw new Error(
          `unknown cost constant '${name}' for platform ${platform.name} (known: ${Object.keys(platform.constants).join(', ')})`,
        );
      }
      if (!Number.isFinite(v)) throw new Error(`cost constant ${name} must be a number, got ${v}`);
    }
    const resolve = (name: string, seen: readonly string[]): number => {
      const c: CostConstant | undefined = platform.constants[name];
      if (c === undefined) throw new Error(`unknown cost constant '${name}' (${platform.name})`);
      const o = set[name];
      if (o !== undefined) return o;
      if (c.ref !== undefined) {
        if (seen.includes(c.ref)) throw new Error(`cost constant alias cycle at ${name}`);
        return resolve(c.ref, [...seen, name]);
      }
      return c.value;
    };
    for (const name of Object.keys(platform.constants)) this.values.set(name, resolve(name, []));
  }

  /** The resolved value of `name` in its own unit. @throws Error for an unknown name */
  value(name: string): number {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown cost constant '${name}' (${this.platform.name})`);
    return v;
  }

  /** The resolved value of `name` in nanoseconds. */
  ns(name: string): number {
    const c = this.platform.constants[name]!;
    const v = this.value(name);
    return c.unit === 'ns' ? v : v / this.cpuGHz;
  }

  /** The price of one increment of `rule`, in nanoseconds. */
  ruleNs(rule: CostRule): number {
    if (typeof rule.cost === 'string') return this.ns(rule.cost);
    let sum = 0;
    for (const [name, factor] of rule.cost) sum += factor * this.ns(name);
    return sum;
  }

  /** The constants a rule depends on, aliases followed (for "constants used"). */
  ruleConstants(rule: CostRule): string[] {
    const names = typeof rule.cost === 'string' ? [rule.cost] : rule.cost.map(([n]) => n);
    const out: string[] = [];
    for (let name of names) {
      for (;;) {
        if (!out.includes(name)) out.push(name);
        const ref = this.platform.constants[name]?.ref;
        if (ref === undefined) break;
        name = ref;
      }
    }
    return out;
  }
}
