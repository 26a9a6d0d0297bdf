import { type Host, IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createPowerMachine, H_PARAMETER, H_RTAS, type PowerMachine } from '../src/index.js';
import { A, B, icp, L, rtas, setXive, std, trig } from './fixture.js';

/** Everything observable about the XICS state. */
function fullState(m: PowerMachine): unknown {
  return {
    snap: JSON.stringify(m.save()),
    icps: [0, 1, 2].map((v) => m.icpState(v)),
    srcs: [A, B, L, 0x1010].map((s) => m.sourceState(s)),
    ics: m.icsIds(),
  };
}

/** A machine in a busy state: something pending, something in service, an IPI. */
function busy(): PowerMachine {
  const m = std();
  setXive(m, A, 1, 5);
  setXive(m, B, 1, 3);
  setXive(m, L, 0, 4);
  trig(m, A);
  trig(m, B);
  m.hXirr(1);
  m.hIpi(0, 2, 6);
  return m;
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    return `not an IrqError: ${String(e)}`;
  }
  return 'ok';
};

describe('PWR §5, §6 bad guest arguments: documented codes, no state change', () => {
  it('PWR-5.7: H_IPI to a missing server returns H_PARAMETER and changes nothing', () => {
    const m = busy();
    const s = fullState(m);
    expect(m.hIpi(1, 3, 4)).toBe(H_PARAMETER);
    expect(m.hcall(1, 0x6c, 0xffff_ffffn, 2n).r3).toBe(H_PARAMETER);
    expect(fullState(m)).toEqual(s);
  });

  it('PWR-5.8: H_IPOLL of a missing server returns H_PARAMETER and changes nothing', () => {
    const m = busy();
    const s = fullState(m);
    expect(m.hcall(0, 0x70, 12345n).r3).toBe(H_PARAMETER);
    expect(fullState(m)).toEqual(s);
  });

  it('PWR-5.6: H_EOI of a number without ICS returns H_PARAMETER; only its CPPR part applies', () => {
    const m = busy();
    const before = icp(m, 1);
    expect(m.hEoi(1, (before.cppr << 24) | 0x9000)).toBe(H_PARAMETER);
    expect(icp(m, 1)).toEqual(before);
    expect(m.sourceState(A)!.pq).toBe(1);
  });

  it('PWR-6.3: RTAS calls with bad counts, numbers or servers return -3 and change nothing', () => {
    const m = busy();
    const s = fullState(m);
    expect(m.rtasByName(0, 'ibm,set-xive', [A, 1, 5, 0], 1)).toEqual([-3]);
    expect(m.rtasByName(0, 'ibm,set-xive', [A, 1, 5], 0)).toEqual([]);
    expect(setXive(m, 0x90000, 1, 5)).toBe(-3);
    expect(setXive(m, A, 0xffffffff, 5)).toBe(-3);
    expect(m.rtasByName(0, 'ibm,get-xive', [A], 2)).toEqual([-3, 0]);
    expect(rtas(m, 'ibm,get-xive', [0xfffff])).toEqual([-3, 0, 0]);
    expect(m.rtasByName(0, 'ibm,int-off', [], 1)).toEqual([-3]);
    expect(m.rtasByName(0, 'ibm,int-on', [A], 0)).toEqual([]);
    expect(rtas(m, 'ibm,int-on', [0x90000])).toEqual([-3]);
    expect(fullState(m)).toEqual(s);
  });

  it('PWR-9.7: an inconsistent ICP word is refused with EINVAL and changes nothing', () => {
    const m = busy();
    const s = fullState(m);
    expect(codeOf(() => m.setIcp(0, 0xff002000ff050000n))).toBe('EINVAL');
    expect(codeOf(() => m.setIcp(0, 0x0500000205050000n))).toBe('EINVAL');
    expect(fullState(m)).toEqual(s);
  });

  it('PWR-9.5: a refused source word changes no source (KVM has created the ICS already)', () => {
    const m = busy();
    const s = m.save();
    expect(codeOf(() => m.setSource(0x1c05, 0x0000000500000009n))).toBe('EINVAL');
    expect(m.icsIds()).toEqual([4, 7]); // as in KVM: ICS 7 was created before the check
    expect(codeOf(() => m.getSource(0x1c05))).toBe('ENOENT');
    expect(codeOf(() => m.setSource(8, 0n))).toBe('ENOENT');
    expect(JSON.parse(JSON.stringify(m.save().state)).xics.sources).toEqual(
      JSON.parse(JSON.stringify(s.state)).xics.sources,
    );
  });
});

describe('PWR public API: out-of-range values throw IrqError and change nothing', () => {
  it('PWR-0.3: vCPU indexes, register values and words are range-checked', () => {
    const m = busy();
    const s = fullState(m);
    const cases: Array<[() => unknown, string]> = [
      [() => m.hXirr(3), 'EINVAL'],
      [() => m.hXirr(-1), 'EINVAL'],
      [() => m.hXirr(1.5), 'EINVAL'],
      [() => m.hCppr(1, -1), 'EINVAL'],
      [() => m.hCppr(1, Number.NaN), 'EINVAL'],
      [() => m.hEoi(1, 2 ** 60), 'EINVAL'],
      [() => m.hIpi(1, -2, 3), 'EINVAL'],
      [() => m.hcall(1, 0x6c, -1n), 'EINVAL'],
      [() => m.hcall(1, 0x6c, 1n << 64n), 'EINVAL'],
      [() => m.hcall(1, -1), 'EINVAL'],
      [() => m.hcall(1, H_RTAS, 0x1000n), 'EINVAL'],
      [() => m.hcall(5, 0x74), 'EINVAL'],
      [() => m.setSource(A, -1n), 'EINVAL'],
      [() => m.setSource(A, 1n << 64n), 'EINVAL'],
      [() => m.setSource(A, 5 as unknown as bigint), 'EINVAL'],
      [() => m.setIcp(1, -1n), 'EINVAL'],
      [() => m.setIcp(7, 0n), 'EINVAL'],
      [() => m.getIcp(7), 'EINVAL'],
      [() => m.trigger(-1, 1), 'EINVAL'],
      [() => m.trigger(A, 2 ** 32), 'EINVAL'],
      [() => m.irqLine(A, -1), 'EINVAL'],
      [() => m.connectVcpu(0, -5), 'EINVAL'],
      [() => m.connectVcpu(9, 5), 'EINVAL'],
      [() => m.setRunState(0, 'dancing' as 'guest'), 'EINVAL'],
      [() => m.setRunState(4, 'guest'), 'EINVAL'],
      [() => m.vcpuCounters(3), 'EINVAL'],
      [() => m.eeLine(3), 'EINVAL'],
      [() => m.icpState(3), 'EINVAL'],
      [() => m.enableHcall(0x58, false), 'EINVAL'],
      [() => m.defineRtasToken('ibm,int-on', -1), 'EINVAL'],
      [() => m.defineRtasToken('ibm,int-on', 1n << 64n), 'EINVAL'],
      [() => m.defineRtasToken(5 as unknown as string, 9), 'EINVAL'],
      [() => m.rtas(0, { token: -1, nargs: 1, nret: 1, args: [A] }), 'EINVAL'],
      [() => m.rtas(0, { token: 0x200b, nargs: 1.5, nret: 1, args: [A] }), 'EINVAL'],
      [() => m.rtas(0, { token: 0x200b, nargs: 1, nret: 3, args: [-4] }), 'EINVAL'],
      [
        () => m.rtas(0, { token: 0x200b, nargs: 1, nret: 3, args: new Array(17).fill(0) }),
        'EINVAL',
      ],
      [() => m.rtas(3, { token: 0x200b, nargs: 1, nret: 3, args: [A] }), 'EINVAL'],
      [() => (m.timebase = -1n), 'EINVAL'],
      [() => m.restore({ arch: 'x86', vm: m.vm.save(), state: null }), 'EINVAL'],
      [() => m.restore({ arch: 'power', vm: m.vm.save(), state: { xics: 5 } }), 'EINVAL'],
    ];
    for (const [fn, code] of cases) expect(codeOf(fn), String(fn)).toBe(code);
    expect(fullState(m)).toEqual(s);
  });

  it('PWR-9.7: a restore with an unrestorable ICP word is refused before anything changes', () => {
    const m = busy();
    const snap = JSON.parse(JSON.stringify(m.save()));
    snap.state.xics.icps[1] = '0xff000002ff030000'; // IPI in XISR with PPRI ≠ MFRR (PWR-14.6)
    const s = fullState(m);
    expect(codeOf(() => m.restore(snap))).toBe('EINVAL');
    expect(fullState(m)).toEqual(s);
  });

  it('PWR-9.2: createPowerMachine options are validated', () => {
    const bad: Array<[Parameters<typeof createPowerMachine>[0], string]> = [
      [{ vcpus: 0 }, 'EINVAL'],
      [{ vcpus: 2049 }, 'EINVAL'],
      [{ vcpus: 1.5 }, 'EINVAL'],
      [{ vcpus: 1, profile: 'pr' as 'virtual' }, 'EINVAL'],
      [{ vcpus: 1, xics: 'half' as 'none' }, 'EINVAL'],
      [{ vcpus: 2, servers: [0] }, 'EINVAL'],
      [{ vcpus: 2, servers: [3, 3] }, 'EEXIST'],
      [{ vcpus: 1, servers: [-1] }, 'EINVAL'],
      [{ vcpus: 1, host: {} as Host }, 'EINVAL'],
    ];
    for (const [o, code] of bad) expect(codeOf(() => createPowerMachine(o))).toBe(code);
    expect(createPowerMachine({ vcpus: 2048, boot: false }).vcpus).toBe(2048);
  });
});
