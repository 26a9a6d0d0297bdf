import { describe, expect, it } from 'vitest';
import { translate } from '../src/index.js';
import {
  eoi,
  fixture,
  itsCommand,
  itsDriver,
  itsFixture,
  msi,
  rdRead,
  rdWrite,
  take,
} from './helpers.js';

describe('arm.md §5 ITS', () => {
  it('ARM-5.1 commands are 32 bytes in a ring of (Size + 1) × 4 KiB', () => {
    const m = fixture({ its: true });
    const d = itsDriver(m);
    d.setup();
    const its = m.its!;
    expect(its.queueSize).toBe(0x10000);
    // Put CREADR/CWRITER one command before the end, then submit two: the second wraps.
    const base = its.queueBase;
    m.setRunState(0, 'host');
    m.user.writeIts(0, 0);
    m.user.writeIts(0x90, 0x10000 - 32);
    m.setRunState(0, 'guest');
    m.mmio.write64(0, m.layout.its + 0x88, BigInt(0x10000 - 32));
    m.mmio.write(0, m.layout.its, 4, 1);
    d.setLpiConfig(8192, 0xa0, true);
    const cmds = [itsCommand.mapd(1, 3, d.itt(1)), itsCommand.mapc(0, 0)];
    for (let i = 0; i < 4; i++) m.memory.write64(base + 0x10000 - 32 + i * 8, cmds[0]![i]!);
    for (let i = 0; i < 4; i++) m.memory.write64(base + i * 8, cmds[1]![i]!);
    m.mmio.write64(0, m.layout.its + 0x88, 32n);
    expect(its.creadr).toBe(32);
    expect(its.devices.has(1)).toBe(true);
    expect(its.collections.get(0)?.target?.id).toBe(0);
  });

  it('ARM-5.2 processing is synchronous with the CWRITER write; errors and unreadable commands are skipped', () => {
    const { m, d } = itsFixture();
    const its = m.its!;
    const before = its.commands;
    d.submit(itsCommand.mapti(9, 0, 8300, 0), itsCommand.mapti(1, 5, 8301, 0));
    expect(its.commands - before).toBe(2);
    expect(its.lastError).toBe(0x010a04);
    expect(m.gic.lpis.has(8301)).toBe(true);
    // Move the queue outside RAM: commands are skipped silently, CREADR still advances.
    const u = fixture({ its: true, memorySize: 2 ** 31 });
    const ud = itsDriver(u);
    ud.setup();
    u.mmio.write(0, u.layout.its, 4, 0);
    u.mmio.write64(0, u.layout.its + 0x80, (1n << 63n) | 0x9000_0000n);
    u.mmio.write(0, u.layout.its, 4, 1);
    u.mmio.write64(0, u.layout.its + 0x88, 64n);
    expect(u.its!.creadr).toBe(64);
    expect(u.its!.commands).toBe(0);
  });

  it('ARM-5.3 the configuration byte is read at creation and on INV/INVALL/INVLPIR/INVALLR only', () => {
    const { m, d } = itsFixture();
    const irq = m.irq(8192)!;
    expect([irq.priority, irq.enabled]).toEqual([0xa0, true]);
    m.memory.write8(d.layout.propTable, 0x57); // priority 0x54, enabled
    expect(irq.priority).toBe(0xa0);
    d.submit(itsCommand.inv(1, 2));
    expect(irq.priority).toBe(0x54);
    m.memory.write8(d.layout.propTable, 0x30);
    rdWrite(m, 0, 0xa0, 8192);
    expect([irq.priority, irq.enabled]).toEqual([0x30, false]);
    m.memory.write8(d.layout.propTable, 0x41);
    rdWrite(m, 0, 0xb0, 0);
    expect([irq.priority, irq.enabled]).toEqual([0x40, true]);
    m.memory.write8(d.layout.propTable, 0x21);
    d.submit(itsCommand.invall(0));
    expect(irq.priority).toBe(0x20);
  });

  it('ARM-5.4 pending table: read at LPI creation and at EnableLPIs 0 → 1; saved on request', () => {
    const m = fixture({ its: true });
    const d = itsDriver(m);
    d.setup();
    const pend = d.layout.pendTables;
    m.memory.write8(pend + 1024, 1 << (8193 % 8));
    d.setLpiConfig(8193, 0x80, true);
    d.submit(
      itsCommand.mapd(1, 3, d.itt(1)),
      itsCommand.mapc(0, 0),
      itsCommand.mapti(1, 1, 8193, 0),
    );
    expect(m.memory.read8(pend + 1024) & 2).toBe(0); // consumed
    expect(take(m)).toBe(8193);
    eoi(m, 8193);
    rdWrite(m, 0, 0, 0);
    m.memory.write8(pend + 1024, 2);
    rdWrite(m, 0, 0, 1);
    expect(take(m)).toBe(8193);
    eoi(m, 8193);
    m.setRunState(0, 'host');
    m.vm.signalMsi(msi(1, 1));
    m.user.savePendingTables();
    expect(m.memory.read8(pend + 1024) & 2).toBe(2);
  });

  it('ARM-5.5 translation: doorbell in the frame, enabled ITS, mapped collection, LPIs enabled', () => {
    const { m, d } = itsFixture();
    expect(() => m.vm.signalMsi({ ...msi(1, 2), addressLo: 0x0810_0040 })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(m.vm.signalMsi({ ...msi(1, 2), addressLo: 0x0808_0000 })).toBe(1); // anywhere in the frame
    eoi(m, take(m));
    d.submit(itsCommand.mapc(0, 0, false));
    expect(m.vm.signalMsi(msi(1, 2))).toBe(0);
    expect(translate(m.its!, 1, 2)).toBeNull();
  });

  it('ARM-5.6 cache: filled by successful translations, emptied by the listed events; LRU mode', () => {
    const { m, d } = itsFixture();
    m.vm.signalMsi(msi(1, 2));
    expect(m.its!.cache.size).toBe(1);
    d.submit(itsCommand.mapc(0, 0, false), itsCommand.mapc(0, 0));
    expect(m.its!.cache.size).toBe(0);
    const { m: l, d: ld } = itsFixture({ itsCache: { lru: 2 } });
    for (let ev = 3; ev < 6; ev++) ld.submit(itsCommand.mapti(1, ev, 8190 + ev * 2, 0));
    for (let ev = 2; ev < 6; ev++) ld.setLpiConfig(8190 + ev * 2, 0xa0, true);
    for (let ev = 2; ev < 6; ev++) l.vm.signalMsi(msi(1, ev));
    expect(l.its!.cache.size).toBe(2);
  });

  it('ARM-5.7 LPIs are edge, group 1, lose active state at exit, and leave the ap_list when LPIs are disabled', () => {
    const { m } = itsFixture();
    const irq = m.irq(8192)!;
    expect([irq.config, irq.group]).toEqual(['edge', 1]);
    m.vm.signalMsi(msi(1, 2));
    expect(take(m)).toBe(8192);
    m.setRunState(0, 'host');
    expect(irq.active).toBe(false);
    m.setRunState(0, 'guest');
    eoi(m, 8192);
    m.setRunState(0, 'host');
    m.vm.signalMsi(msi(1, 2));
    expect(irq.vcpu?.id).toBe(0);
    rdWrite(m, 0, 0, 0);
    expect(irq.vcpu).toBeNull();
    expect(rdRead(m, 0, 0) & 1).toBe(0);
  });

  it('ARM-5.8 reset, and table save/restore round trip (EBUSY while running, EACCES for GICv4.0 vLPIs)', () => {
    const { m, d } = itsFixture({ vcpus: 2 });
    d.submit(
      itsCommand.mapc(3, 1),
      itsCommand.mapti(1, 5, 8200, 3),
      itsCommand.mapd(4, 7, d.itt(4)),
    );
    d.submit(itsCommand.mapti(4, 100, 8300, 0));
    expect(() => m.user.saveItsTables()).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    m.setRunState(0, 'host');
    m.setRunState(1, 'host');
    m.user.saveItsTables();
    const snapshot = [...m.its!.devices.values()].map((dev) => [
      dev.devid,
      dev.eventIdBits,
      [...dev.ites.values()].map((i) => [i.eventid, i.irq.intid, i.collection?.icid]),
    ]);
    m.user.resetIts();
    expect(m.its!.enabled).toBe(false);
    expect(m.its!.devices.size).toBe(0);
    expect(m.user.readIts(0x104) >>> 31).toBe(0);
    // Userspace restores BASERs, CBASER, the tables, then CTLR.
    const regs = (off: number, v: bigint) => {
      m.user.writeIts(off, Number(v & 0xffffffffn));
      m.user.writeIts(off + 4, Number(v >> 32n));
    };
    regs(0x100, (1n << 63n) | BigInt(d.layout.deviceTable) | 7n);
    regs(0x108, (1n << 63n) | BigInt(d.layout.collectionTable));
    regs(0x80, (1n << 63n) | BigInt(d.layout.queue) | 15n);
    m.user.restoreItsTables();
    m.user.writeIts(0, 1);
    const restored = [...m.its!.devices.values()].map((dev) => [
      dev.devid,
      dev.eventIdBits,
      [...dev.ites.values()].map((i) => [i.eventid, i.irq.intid, i.collection?.icid]),
    ]);
    expect(restored).toEqual(snapshot);
    expect(m.its!.collections.get(3)?.target?.id).toBe(1);
    m.setRunState(0, 'guest');
    expect(m.vm.signalMsi(msi(4, 100))).toBe(1);
    const v40 = itsFixture({ gicv4: '4.0' }).m;
    v40.irq(8192)!.hw = true;
    v40.setRunState(0, 'host');
    expect(() => v40.user.saveItsTables()).toThrow(expect.objectContaining({ code: 'EACCES' }));
  });
});
