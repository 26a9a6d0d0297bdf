import { describe, expect, it } from 'vitest';
import { type ArmMachineOptions, createArmMachine } from '../src/index.js';
import {
  distWrite,
  enableAll,
  eoi,
  fixture,
  itsCommand,
  itsFixture,
  line,
  msi,
  setPriority,
  take,
} from './helpers.js';

function roundTrip(opts: ArmMachineOptions, m: ReturnType<typeof fixture>) {
  const snap = JSON.parse(JSON.stringify(m.save()));
  const r = createArmMachine(opts);
  r.restore(snap);
  expect(r.save()).toEqual(m.save());
  return r;
}

describe('save / restore (Machine.save, Machine.restore)', () => {
  it('CONF-08 distributor, redistributors, LRs mid-flight, and the ITS with its tables and cache', () => {
    const opts: ArmMachineOptions = { vcpus: 2, its: true, nrSpis: 32, gicv4: 'none' };
    const { m, d } = itsFixture(opts);
    d.submit(itsCommand.mapc(1, 1), itsCommand.mapti(1, 3, 8193, 1));
    d.setLpiConfig(8193, 0x40, true);
    d.submit(itsCommand.inv(1, 3));
    line(m, 33, 1);
    expect(take(m, 0)).toBe(33); // active in vCPU 0's LR
    line(m, 34, 1); // pending behind it
    m.vm.signalMsi(msi(1, 2)); // cached translation, LPI pending on vCPU 0
    m.vm.signalMsi(msi(1, 3)); // LPI on vCPU 1
    m.setRunState(1, 'blocked');
    const r = roundTrip(opts, m);
    expect(r.vcpuState(0).lr.vintid[0]).toBe(m.vcpuState(0).lr.vintid[0]);
    expect(r.its!.cache.size).toBe(2);
    expect(r.runState(1)).toBe(m.runState(1));
    for (const x of [m, r]) {
      eoi(x, 33, 0);
      const got = [take(x, 0), take(x, 1)];
      expect(got.sort()).toEqual([8192, 8193].sort());
    }
    expect(r.save()).toEqual(m.save());
  });

  it('CONF-08 GICv2 with a multi-source SGI and EOImode 1 state', () => {
    const opts: ArmMachineOptions = { vcpus: 3, gic: 'v2', nrSpis: 32, listRegisters: 1 };
    const m = createArmMachine(opts);
    enableAll(m);
    m.cpu(0).eoiMode = 1;
    distWrite(m, 0xf00, (1 << 16) | 5, 1);
    distWrite(m, 0xf00, (1 << 16) | 5, 2);
    const t = take(m, 0);
    m.cpu(0).eoir(t);
    const r = roundTrip(opts, m);
    for (const x of [m, r]) {
      x.cpu(0).dir(t);
      const t2 = take(x, 0);
      expect(t2 & 0x3ff).toBe(5);
      expect(t2).not.toBe(t);
    }
  });

  it('CONF-08 a snapshot of another shape is refused', () => {
    const m = fixture();
    const snap = m.save();
    expect(() => createArmMachine({ vcpus: 2, nrSpis: 32 }).restore(snap)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => createArmMachine({ vcpus: 1, gic: 'v2', nrSpis: 32 }).restore(snap)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => m.restore({ ...snap, arch: 'x86' })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  it('CONF-08 the last maintenance status is restored: no spurious maintenance exit after restore (ARM-3.12)', () => {
    // Found by the save → restore property (GICv2, 1 LR, EOImode 1): the restored vCPU compared
    // against a zero maintenance status, took a maintenance exit the original did not and
    // synced its LRs early.
    const build = () => {
      const m = createArmMachine({ vcpus: 1, gic: 'v2', listRegisters: 1, nrSpis: 32 });
      enableAll(m);
      for (let i = 0; i < 8; i++) setPriority(m, 32 + i, 0);
      m.cpu(0).eoiMode = 1;
      return m;
    };
    const a = build();
    line(a, 32, 1);
    const first = a.cpu(0).iar() & 0x3ff;
    line(a, 33, 1);
    line(a, 32, 1);
    a.cpu(0).eoir(first);
    a.setRunState(0, 'blocked');
    const b = build();
    b.restore(JSON.parse(JSON.stringify(a.save())));
    const exits = (m: typeof a) => m.counters.get('exits.maintenance');
    const [ea, eb] = [exits(a), exits(b)];
    expect(b.cpu(0).iar() & 0x3ff).toBe(a.cpu(0).iar() & 0x3ff);
    expect(exits(b) - eb).toBe(exits(a) - ea);
    expect(b.save()).toEqual(a.save());
  });
});
