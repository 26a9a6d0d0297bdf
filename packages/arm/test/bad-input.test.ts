import { IrqError } from '@irqkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ArmMachineOptions, createArmMachine, ITS_ERR, SYSREGS } from '../src/index.js';
import { fixture, itsCommand, itsFixture } from './helpers.js';

function itsState(m: ReturnType<typeof fixture>): unknown {
  const its = m.its!;
  return {
    devices: [...its.devices.values()].map((d) => [
      d.devid,
      d.eventIdBits,
      [...d.ites.values()].map((i) => [i.eventid, i.irq.intid, i.collection?.icid ?? -1]),
    ]),
    collections: [...its.collections.values()].map((c) => [c.icid, c.target?.id ?? -1]),
    lpis: [...m.gic.lpis.keys()],
    targets: [...m.gic.lpis.values()].map((i) => i.targetVcpu?.id ?? -1),
  };
}

describe('bad input', () => {
  it('ARM-1.2 createArmMachine rejects invalid options with IrqError EINVAL', () => {
    const bad: ArmMachineOptions[] = [
      { vcpus: 0 },
      { vcpus: 1.5 },
      { vcpus: 9, gic: 'v2' },
      { vcpus: 513 },
      { vcpus: 1, gic: 'v4' as 'v3' },
      { vcpus: 1, gic: 'v2', its: true },
      { vcpus: 1, nrSpis: 33 },
      { vcpus: 1, nrSpis: 992 },
      { vcpus: 1, listRegisters: 0 },
      { vcpus: 1, listRegisters: 17 },
      { vcpus: 1, gicv4: '5.0' as 'none' },
      { vcpus: 1, its: true, itsBase: 0x1234 },
      { vcpus: 1, gic: 'v3', hostGic: 'v2' },
      { vcpus: 1, runState: 'sleeping' as 'guest' },
    ];
    for (const o of bad) {
      expect(() => createArmMachine(o), JSON.stringify(o)).toThrow(IrqError);
      expect(() => createArmMachine(o)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
    expect(
      createArmMachine({ vcpus: 1, gic: 'v2', hostGic: 'v2', listRegisters: 64 }).gic.config.nrLr,
    ).toBe(64);
    expect(
      createArmMachine({ vcpus: 4096, exceedKvmVcpuLimit: true, runState: 'host' }).vcpus,
    ).toBe(4096);
  });

  it('ARM-1.1 public API calls reject out-of-range values and leave state unchanged', () => {
    const m = fixture();
    const before = JSON.stringify(m.save());
    const einval = (f: () => unknown) =>
      expect(f).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    einval(() => m.injectLine({ kind: 'spi', intid: 32, level: 2 }));
    einval(() => m.injectLine({ kind: 'lpi' as 'spi', intid: 32, level: 1 }));
    einval(() => m.cpu(1));
    einval(() => m.cpu(-1));
    einval(() => m.setRunState(0, 'dozing' as 'guest'));
    einval(() => m.sysreg.read(0, 'ICC_NOPE_EL1'));
    einval(() => m.mapPhysIrq(0, 12345, 40));
    einval(() => m.mapPhysIrq(0, 12345, 5000));
    einval(() => m.setOwner(0, 3000, {}));
    einval(() => m.forward({ hostIrq: 4242, gsi: 0 }));
    expect(JSON.stringify(m.save())).toBe(before);
  });

  it('ARM-5.2 invalid ITS commands record their error and change nothing', () => {
    const { m, d } = itsFixture({ vcpus: 2 });
    const cases: Array<[bigint[], number]> = [
      [itsCommand.mapd(0x10000, 3, d.itt(1)), ITS_ERR.MAPD_DEVICE_OOR],
      [itsCommand.mapd(2, 16, d.itt(2)), ITS_ERR.MAPD_ITTSIZE_OOR],
      [itsCommand.mapc(4, 7), ITS_ERR.MAPC_PROCNUM_OOR],
      [itsCommand.mapc(4, 7, false), ITS_ERR.MAPC_PROCNUM_OOR],
      [itsCommand.mapc(0xffff, 1), ITS_ERR.MAPC_COLLECTION_OOR],
      [itsCommand.mapti(5, 0, 8200, 0), ITS_ERR.MAPTI_UNMAPPED_DEVICE],
      [itsCommand.mapti(1, 16, 8200, 0), ITS_ERR.MAPTI_ID_OOR],
      [itsCommand.mapti(1, 3, 70000, 0), ITS_ERR.MAPTI_PHYSICALID_OOR],
      [itsCommand.mapi(1, 3, 0), ITS_ERR.MAPTI_PHYSICALID_OOR],
      [itsCommand.mapti(1, 3, 8200, 0xffff), ITS_ERR.MAPC_COLLECTION_OOR],
      [itsCommand.int(1, 3), ITS_ERR.INT_UNMAPPED_INTERRUPT],
      [itsCommand.clear(1, 3), ITS_ERR.CLEAR_UNMAPPED_INTERRUPT],
      [itsCommand.discard(1, 3), ITS_ERR.DISCARD_UNMAPPED_INTERRUPT],
      [itsCommand.inv(1, 3), ITS_ERR.INV_UNMAPPED_INTERRUPT],
      [itsCommand.invall(9), ITS_ERR.INVALL_UNMAPPED_COLLECTION],
      [itsCommand.movi(1, 3, 0), ITS_ERR.MOVI_UNMAPPED_INTERRUPT],
      [itsCommand.movi(1, 2, 9), ITS_ERR.MOVI_UNMAPPED_COLLECTION],
      [itsCommand.movall(0, 5), ITS_ERR.MOVALL_PROCNUM_OOR],
    ];
    for (const [cmd, code] of cases) {
      const before = itsState(m);
      d.submit(cmd);
      expect(m.its!.lastError.toString(16)).toBe(code.toString(16));
      expect(itsState(m)).toEqual(before);
    }
    // Unknown opcodes (VMAPP …) are ignored.
    const before = itsState(m);
    const last = m.its!.lastError;
    d.submit([0x29n, 0n, 0n, 0n]);
    expect(itsState(m)).toEqual(before);
    expect(m.its!.lastError).toBe(last);
  });

  it('ARM-2.1 guest register accesses never throw, whatever the address, size or value', () => {
    for (const gic of ['v2', 'v3'] as const) {
      const m = gic === 'v3' ? itsFixture({ vcpus: 2 }).m : fixture({ gic, vcpus: 2 });
      const base = m.layout.dist;
      fc.assert(
        fc.property(
          fc.integer({ min: -0x100, max: 0x2a0000 }),
          fc.oneof(fc.constantFrom(1, 2, 4, 8), fc.integer({ min: -3, max: 16 }), fc.double()),
          fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -1, 2 ** 40)),
          fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
          fc.nat(1),
          (off, size, value, big, vcpu) => {
            const addr = base + off;
            m.mmio.read(vcpu, addr, size as number);
            m.mmio.write(vcpu, addr, size as number, value);
            m.mmio.read64(vcpu, addr);
            m.mmio.write64(vcpu, addr, big);
          },
        ),
        { numRuns: 1000 },
      );
      if (gic === 'v3') {
        fc.assert(
          fc.property(
            fc.constantFrom(...Object.keys(SYSREGS)),
            fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
            (name, v) => {
              m.sysreg.read(0, name);
              m.sysreg.write(1, name, v);
            },
          ),
          { numRuns: 1000 },
        );
      }
    }
  }, 60_000);
});
