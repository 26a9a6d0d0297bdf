import { IrqError } from '@irqkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  APIC_DEFAULT_BASE as A,
  IOAPIC_DEFAULT_BASE as B,
  composeMsi,
  decodeMsi,
  swizzleExtDestId,
  type X86Machine,
} from '../src/index.js';
import { line, mk, program, toX2apic } from './helpers.js';

/** Asserts `fn` throws IrqError(`code`) and leaves the machine's state and counters unchanged. */
function rejects(m: X86Machine, fn: () => unknown, code = 'EINVAL'): void {
  const before = JSON.stringify(m.save());
  const counters = m.counters.snapshot();
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(IrqError);
  expect((err as IrqError).code).toBe(code);
  expect(JSON.stringify(m.save())).toBe(before);
  expect(m.counters.snapshot()).toEqual(counters);
}

function busy(): X86Machine {
  const m = mk();
  program(m, 10, { vector: 0x5a, level: true, dest: 1 });
  program(m, 5, { vector: 0x35 });
  line(m, 10, 1);
  m.guest.configure(6, { trigger: 'edge', target: 2, priority: 3 });
  return m;
}

describe('bad input: public entry points reject out-of-range values and change nothing', () => {
  it('X86Machine vCPU accessors and run-state control', () => {
    const m = busy();
    for (const n of [-1, 4, 1.5, Number.NaN, '1' as never]) {
      rejects(m, () => m.vcpu(n));
      rejects(m, () => m.lapic(n));
      rejects(m, () => m.pid(n));
      rejects(m, () => m.vcpuCounters(n));
      rejects(m, () => m.runState(n));
      rejects(m, () => m.setRunState(n, 'host'));
      rejects(m, () => m.hlt(n));
      rejects(m, () => m.eoi(n));
      rejects(m, () => m.setTpr(n, 0));
      rejects(m, () => m.mmioRead(n, B, 4));
      rejects(m, () => m.mmioWrite(n, B, 0, 4));
      rejects(m, () => m.rdmsr(n, 0x80b));
      rejects(m, () => m.wrmsr(n, 0x80b, 0));
      rejects(m, () => m.getLapicState(n));
    }
    rejects(m, () => m.setRunState(0, 'running' as never));
    rejects(m, () => m.setInterruptible(0, 1 as never));
    rejects(m, () => m.advanceTime(-1));
    rejects(m, () => m.advanceTime(Number.POSITIVE_INFINITY));
    rejects(m, () => m.irte(12345));
  });

  it('GuestPort verbs', () => {
    const m = busy();
    const g = m.guest;
    for (const gsi of [-1, 24, 2.5]) {
      rejects(m, () => g.configure(gsi, { trigger: 'edge', target: 0, priority: 0 }));
      rejects(m, () => g.mask(gsi));
      rejects(m, () => g.unmask(gsi));
    }
    rejects(m, () => g.configure(3, { trigger: 'rising' as never, target: 0, priority: 0 }));
    rejects(m, () => g.configure(3, { trigger: 'edge', target: 4, priority: 0 }));
    rejects(m, () => g.configure(3, { trigger: 'edge', target: 0, priority: 12 }));
    rejects(m, () => g.configure(3, null as never));
    rejects(m, () => g.configureMsi(4096, { target: 0, priority: 0 }));
    rejects(m, () => g.configureMsi(40, { target: -1, priority: 0 }));
    rejects(m, () => g.take(7));
    rejects(m, () => g.eoi(0, 256));
    rejects(m, () => g.eoi(9, 0x40));
    const big = mk({ vcpus: 300 });
    toX2apic(big, 299);
    rejects(big, () => big.guest.configure(1, { trigger: 'edge', target: 299, priority: 0 })); // x2APIC ID 299 > 0xFE
  });

  it('state ioctls and snapshots', () => {
    const m = busy();
    const s = m.getIoapicState();
    rejects(m, () => m.setIoapicState({ ...s, irr: -1 }));
    rejects(m, () => m.setIoapicState({ ...s, redirtbl: s.redirtbl.slice(1) }));
    rejects(m, () => m.setIoapicState({ ...s, redirtbl: [...s.redirtbl.slice(1), -1n] }));
    rejects(m, () => m.setIoapicState({ ...s, baseAddress: 1.5 }));
    const l = m.getLapicState(1);
    rejects(m, () => m.setLapicState(1, { ...l, isr: [1, 2] }));
    rejects(m, () => m.setLapicState(1, { ...l, tpr: 2 ** 32 }));
    rejects(m, () => m.setLapicState(1, null as never));
    const snap = m.save();
    rejects(m, () => m.restore({ ...snap, arch: 'arm' }));
    rejects(m, () => m.restore({ ...snap, state: { ...(snap.state as object), vcpus: 3 } }));
    rejects(m, () => m.restore({ ...snap, state: { ...(snap.state as object), format: 'x' } }));
    rejects(mk({ vcpus: 2 }), () => mk({ vcpus: 2 }).restore(snap));
  });

  it('devices, helpers and the vCPU’s acceptance step', () => {
    const m = busy();
    rejects(m, () => m.ioapic.setLevel(24, true));
    rejects(m, () => m.ioapic.setLevel(-1, true));
    rejects(m, () => m.ioapic.registerMaskNotifier(4096, () => undefined));
    rejects(m, () => m.vcpu(0).accept(8, 0x40, 1, 0));
    rejects(m, () => m.vcpu(0).accept(0, 0x100, 1, 0));
    rejects(m, () => m.vcpu(0).accept(0, 0x40, 2, 0));
    expect(() => composeMsi({ dest: -1, vector: 0x40 })).toThrow(IrqError);
    expect(() => composeMsi({ dest: 1, vector: 0x100 })).toThrow(IrqError);
    expect(() => composeMsi({ dest: 1, vector: 0x40, trigger: 2 })).toThrow(IrqError);
    expect(() => decodeMsi({ addressLo: -1, addressHi: 0, data: 0 })).toThrow(IrqError);
    expect(() => swizzleExtDestId({ addressLo: 0, addressHi: 2 ** 32, data: 0 })).toThrow(IrqError);
    rejects(m, () => m.vm.signalMsi({ addressLo: 0xfee00000, addressHi: 0, data: 2 ** 32 }));
  });
});

describe('bad input: guest register accesses never throw', () => {
  const addr = fc.oneof(
    fc.integer({ min: B - 0x10, max: B + 0x110 }),
    fc.integer({ min: A - 0x10, max: A + 0x1010 }),
    fc.constantFrom(Number.NaN, -1, 2 ** 40, 0),
  );
  const value = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.bigInt({ min: -5n, max: 2n ** 70n }),
    fc.constantFrom(Number.NaN, -1, 1.5, 2 ** 53),
  );
  const len = fc.constantFrom(0, 1, 2, 3, 4, 8, 16);
  const msr = fc.oneof(fc.integer({ min: 0x7f0, max: 0x910 }), fc.constantFrom(0x1b, 0, -1));
  const op = fc.oneof(
    fc.record({ k: fc.constant('r' as const), vcpu: fc.nat(3), addr, len }),
    fc.record({ k: fc.constant('w' as const), vcpu: fc.nat(3), addr, value, len }),
    fc.record({ k: fc.constant('rd' as const), vcpu: fc.nat(3), msr }),
    fc.record({ k: fc.constant('wr' as const), vcpu: fc.nat(3), msr, value }),
    fc.record({ k: fc.constant('tpr' as const), vcpu: fc.nat(3), value: fc.integer() }),
  );

  it('MMIO and MSR accesses with any address, value and length are absorbed (1000 runs)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), (ops, apicv) => {
        const m = mk({ apicv, vcpus: 4 });
        for (const o of ops) {
          if (o.k === 'r') m.mmioRead(o.vcpu, o.addr, o.len);
          else if (o.k === 'w') m.mmioWrite(o.vcpu, o.addr, o.value, o.len);
          else if (o.k === 'rd') m.rdmsr(o.vcpu, o.msr);
          else if (o.k === 'wr') m.wrmsr(o.vcpu, o.msr, o.value);
          else m.setTpr(o.vcpu, o.value);
        }
        m.guest.take(0);
      }),
      { numRuns: 1000 },
    );
  });
});
