import { createReferenceMachine } from '@irqkit/conformance';
import { Counters, Host } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import {
  ARM_SPLIT_MODE,
  ARM_VHE,
  COST_MAPS,
  type CostMap,
  defaultPlatform,
  Meter,
  PLATFORMS,
  PriceList,
  REFERENCE_PLATFORM,
  X86_EXIT_NULL,
  X86_SKYLAKE_SP,
} from '../src/index.js';

describe('cost model: constants and platforms', () => {
  it('every constant names its source and status; aliases point at constants of the platform', () => {
    for (const p of Object.values(PLATFORMS)) {
      expect(p.cpuGHz).toBeGreaterThan(0);
      for (const [name, c] of Object.entries(p.constants)) {
        expect(c.source, name).not.toBe('');
        expect(['M', 'M*', 'D', 'E']).toContain(c.status);
        expect(c.value, name).toBeGreaterThanOrEqual(0);
        if (c.ref !== undefined) expect(p.constants[c.ref], `${name} → ${c.ref}`).toBeDefined();
      }
    }
  });

  it('cost maps name only constants their default platform has', () => {
    for (const [arch, map] of Object.entries(COST_MAPS)) {
      const platform = defaultPlatform(arch)!;
      const prices = new PriceList(platform);
      for (const rule of map.rules) expect(() => prices.ruleNs(rule), rule.counter).not.toThrow();
    }
  });

  it('the figures are the spec/costs.md recommended defaults', () => {
    expect(X86_EXIT_NULL.value).toBe(1559);
    expect(X86_SKYLAKE_SP.constants.X86_EOI_EXIT!.value).toBe(1556);
    expect(ARM_SPLIT_MODE.constants.ARM_EXIT_NULL!.value).toBe(6500);
    expect(ARM_VHE.constants.ARM_EXIT_NULL!.value).toBe(752);
    expect(PLATFORMS['power9-radix']!.constants.PPC_HCALL_REALMODE!.value).toBe(509);
  });
});

describe('cost model: price list', () => {
  it('converts cycles with the clock and keeps ns constants as they are', () => {
    const p = new PriceList(X86_SKYLAKE_SP);
    expect(p.ns('X86_EXIT_NULL')).toBeCloseTo(1559 / 2.5);
    expect(p.ns('HOST_WAKEUP_NS')).toBe(3000);
    const fast = new PriceList(X86_SKYLAKE_SP, { cpuGHz: 5 });
    expect(fast.ns('X86_EXIT_NULL')).toBeCloseTo(1559 / 5);
    expect(fast.ns('HOST_WAKEUP_NS')).toBe(3000);
  });

  it('an override moves the constant and every alias of it, nothing else', () => {
    const p = new PriceList(X86_SKYLAKE_SP, { constants: { X86_EXIT_NULL: 1000 } });
    expect(p.value('X86_EXIT_NULL')).toBe(1000);
    expect(p.value('X86_KICK_IPI')).toBe(1000); // alias
    expect(p.value('X86_EOI_EXIT')).toBe(1556);
    const q = new PriceList(X86_SKYLAKE_SP, { constants: { X86_KICK_IPI: 10 } });
    expect(q.value('X86_KICK_IPI')).toBe(10);
    expect(q.value('X86_EXIT_NULL')).toBe(1559);
  });

  it('sums weighted terms and lists the constants a rule depends on, aliases followed', () => {
    const p = new PriceList(X86_SKYLAKE_SP);
    const rule = COST_MAPS.x86!.rules.find((r) => r.counter === 'userspace.mmio')!;
    expect(p.ruleNs(rule)).toBeCloseTo((6732 - 2565) / 2.5);
    const kick = COST_MAPS.x86!.rules.find((r) => r.counter === 'exits.kick')!;
    expect(p.ruleConstants(kick)).toEqual(['X86_KICK_IPI', 'X86_EXIT_NULL']);
  });

  it('rejects unknown constants, non-numbers and bad clocks, naming them', () => {
    expect(() => new PriceList(X86_SKYLAKE_SP, { constants: { X86_NOPE: 1 } })).toThrow(/X86_NOPE/);
    expect(
      () => new PriceList(X86_SKYLAKE_SP, { constants: { X86_EXIT_NULL: Number.NaN } }),
    ).toThrow(/X86_EXIT_NULL/);
    expect(() => new PriceList(X86_SKYLAKE_SP, { cpuGHz: 0 })).toThrow(/cpuGHz/);
    expect(() => new PriceList(X86_SKYLAKE_SP).value('ARM_EXIT_NULL')).toThrow(/ARM_EXIT_NULL/);
  });
});

describe('cost model: meter', () => {
  const map: CostMap = {
    arch: 'reference',
    rules: [
      { counter: 'exits.kick', scope: 'vcpu', cost: 'X86_EXIT_NULL', on: 'vcpu', exit: 'kick' },
      { counter: 'hostIrqs', scope: 'host', cost: 'HOST_IRQ_NS', on: 'host' },
      { counter: 'resamplefdSignals', scope: 'machine', cost: 'HOST_WORK_ITEM_NS', on: 'vcpu' },
      { counter: 'guest.halts', scope: 'guest', cost: 'HOST_WAKEUP_NS', on: 'vcpu', exit: 'halt' },
    ],
  };
  function fixture() {
    const m = createReferenceMachine({ vcpus: 3, host: new Host() });
    const guestParent = new Counters();
    const guest = [0, 1, 2].map(() => new Counters(guestParent));
    const meter = new Meter(
      { machine: m, guest, guestParent },
      map,
      new PriceList(REFERENCE_PLATFORM),
    );
    return { m, guest, meter };
  }

  it('charges each vCPU its own counters, the actor for machine counters, the host for host ones', () => {
    const { m, guest, meter } = fixture();
    m.vcpuCounters(2).bump('exits.kick', 2);
    m.counters.bump('resamplefdSignals');
    m.host.counters.bump('hostIrqs', 3);
    guest[1]!.bump('guest.halts');
    meter.charge(0);
    expect(Array.from(meter.vcpuNs)).toEqual([1000, 3000, (2 * 1559) / 2.5]);
    expect(meter.hostNs).toBe(1500);
    expect(Array.from(meter.exits)).toEqual([2, 1]);
    expect(meter.reasons).toEqual(['kick', 'halt']);
    meter.charge(1);
    expect(Array.from(meter.vcpuNs)).toEqual([0, 0, 0]);
    expect(meter.hostNs).toBe(0);
  });

  it('a vcpu-scope counter counted only machine-wide is charged to the actor', () => {
    const { m, meter } = fixture();
    m.counters.bump('exits.kick');
    meter.charge(1);
    expect(meter.vcpuNs[1]).toBeCloseTo(1559 / 2.5);
    expect(meter.ruleCounts[0]).toBe(1);
  });

  it('resetTotals makes everything counted so far the baseline', () => {
    const { m, meter } = fixture();
    m.vcpuCounters(0).bump('exits.kick', 5);
    meter.resetTotals();
    expect(Array.from(meter.ruleCounts)).toEqual([0, 0, 0, 0]);
    m.vcpuCounters(0).bump('exits.kick');
    meter.charge(0);
    expect(meter.ruleCounts[0]).toBe(1);
    expect(meter.vcpuNsTotal).toBeCloseTo(1559 / 2.5);
  });
});
