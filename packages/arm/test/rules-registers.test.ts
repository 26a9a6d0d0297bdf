import { describe, expect, it } from 'vitest';
import { SGI_BASE } from '../src/index.js';
import {
  bit,
  distRead,
  distWrite,
  fixture,
  ICACTIVER,
  ICENABLER,
  ICPENDR,
  ISACTIVER,
  ISENABLER,
  ISPENDR,
  line,
  rdWrite,
  setBit,
  setPriority,
  take,
  track,
} from './helpers.js';
import { platformDevice } from './platform.js';

describe('arm.md §2.1–2.4 guest-visible registers', () => {
  it('ARM-2.1 access sizes, alignment, unimplemented offsets and INTIDs beyond nr_irqs are RAZ/WI', () => {
    const m = fixture();
    const D = m.layout.dist;
    distWrite(m, ICENABLER + 4, 0xffffffff);
    m.mmio.write(0, D + ISENABLER + 4, 1, 0xff); // bitmap: 32-bit only
    expect(distRead(m, ISENABLER + 4)).toBe(0);
    m.mmio.write(0, D + 0x400 + 33, 1, 0x80); // IPRIORITYR: 8-bit allowed
    expect(m.mmio.read(0, D + 0x400 + 33, 1)).toBe(0x80);
    expect(m.mmio.read(0, D + 0x400 + 32, 4) >>> 8).toBe(0xf0f080);
    m.mmio.write64(0, D + 0x6000 + 8 * 33, 0x010203n); // IROUTER: 64-bit allowed
    expect(m.mmio.read(0, D + 0x6000 + 8 * 33, 4)).toBe(0x010203);
    m.mmio.write64(0, D + ISENABLER + 4, 0xffffffffn); // 64-bit on a bitmap: ignored
    expect(distRead(m, ISENABLER + 4)).toBe(0);
    distWrite(m, ISENABLER + 8, 0xffffffff); // INTIDs 64..95 do not exist (64 IRQs)
    expect(distRead(m, ISENABLER + 8)).toBe(0);
    expect(distRead(m, 0x2000)).toBe(0); // unimplemented offset
    distWrite(m, 0x2000, 0xffffffff);
    expect(m.mmio.read(0, D + 0x400 + 33, 3)).toBe(0);
  });

  it('ARM-2.2 set/clear pairs act on 1 bits only and read the same state', () => {
    const m = fixture();
    const rd = m.redistributor(0);
    rd.write(SGI_BASE + ICENABLER, 1 << 20);
    expect(rd.read(SGI_BASE + ISENABLER) & (1 << 20)).toBe(0);
    rd.write(SGI_BASE + ISENABLER, 1 << 20);
    expect(rd.read(SGI_BASE + ICENABLER) & (1 << 20)).toBe(1 << 20);
    expect(m.distributor.read(ISENABLER + 4)).toBe(distRead(m, ISENABLER + 4));
    distWrite(m, ICENABLER + 4, 0xffffffff);
    distWrite(m, ISENABLER + 4, 0b1010);
    expect(distRead(m, ISENABLER + 4)).toBe(0b1010);
    expect(distRead(m, ICENABLER + 4)).toBe(0b1010);
    distWrite(m, ISENABLER + 4, 0b0100);
    expect(distRead(m, ISENABLER + 4)).toBe(0b1110);
    distWrite(m, ICENABLER + 4, 0b0010);
    expect(distRead(m, ICENABLER + 4)).toBe(0b1100);
  });

  it('ARM-2.3 writes that add deliverability queue and kick; removals take effect at the next sync', () => {
    const m = fixture({ vcpus: 2 });
    m.mmio.write64(0, m.layout.dist + 0x6000 + 8 * 40, BigInt(m.vcpuState(1).affinity));
    distWrite(m, ICENABLER + 4, 1 << 8);
    line(m, 40, 1);
    const d = track(m);
    distWrite(m, ISENABLER + 4, 1 << 8, 0);
    expect(d('exits.kick', 1)).toBe(1);
    expect(m.vcpuState(1).lr.vintid[0]).toBe(40);
    distWrite(m, ICENABLER + 4, 1 << 8, 0);
    expect(m.vcpuState(1).lr.vintid[0]).toBe(40); // still presented to the running vCPU
    m.setRunState(1, 'host');
    expect(m.irq(40)!.vcpu).toBeNull();
    expect(take(m, 1)).toBe(1023);
  });

  it('ARM-2.4 GICv3 SGIs: Aff1 targets, IRM, SGI0R raises group 0 only, RS ignored', () => {
    const m = fixture({ vcpus: 17 });
    expect(m.vcpuState(16).affinity).toBe(0x100);
    m.cpu(0).sgi(BigInt((2 << 24) | (1 << 16) | 1) | (0xfn << 44n));
    expect(take(m, 16)).toBe(2);
    expect(take(m, 1)).toBe(1023);
    m.cpu(16).eoir(2);
    m.cpu(0).sgi(BigInt((4 << 24) | 0b10), false); // SGI 4 is group 1: SGI0R drops it
    expect(take(m, 1)).toBe(1023);
    rdWrite(m, 1, SGI_BASE + 0x80, 0xffffffef, 1); // SGI 4 → group 0
    m.cpu(0).sgi(BigInt((4 << 24) | 0b10), false);
    m.cpu(1).setGroupEnabled(0, true);
    expect(m.cpu(1).iar(0)).toBe(4);
  });

  it('ARM-2.5 ISPENDR latches level IRQs until acknowledged; HW IRQs become physically active', () => {
    const m = fixture({}, [32]);
    distWrite(m, ISPENDR + 4, 1);
    line(m, 32, 1);
    line(m, 32, 0);
    expect(bit(m, ISPENDR, 32)).toBe(1);
    expect(take(m)).toBe(32);
    m.cpu(0).eoir(32);
    expect(bit(m, ISPENDR, 32)).toBe(0);
    const f = fixture();
    const p = platformDevice(f, { irq: 90, gsi: 1 });
    f.forward({ hostIrq: 90, gsi: 1 });
    distWrite(f, ISPENDR + 4, 1 << 1);
    expect(p.line.active).toBe(true);
  });

  it('ARM-2.6 ICPENDR clears the latch only; an IRQ already in an LR is not withdrawn', () => {
    const m = fixture({ vcpus: 2 });
    m.mmio.write64(0, m.layout.dist + 0x6000 + 8 * 33, BigInt(m.vcpuState(1).affinity));
    line(m, 33, 1);
    expect(m.vcpuState(1).lr.state[0]).toBe(1);
    distWrite(m, ICPENDR + 4, 1 << 1, 0);
    expect(take(m, 1)).toBe(33);
  });

  it('ARM-2.7 IS/ICACTIVER halt every vCPU, mirror the physical active state, read virtual state', () => {
    const m = fixture({ vcpus: 2 });
    const p = platformDevice(m, { irq: 91, gsi: 2 });
    m.forward({ hostIrq: 91, gsi: 2 });
    const d = track(m);
    setBit(m, ISACTIVER, 34, 0);
    expect(d('exits.kick', 1)).toBe(1);
    expect(p.line.active).toBe(true);
    expect(bit(m, ISACTIVER, 34)).toBe(1);
    expect(bit(m, ICACTIVER, 34)).toBe(1);
    setBit(m, ICACTIVER, 34, 0);
    expect(p.line.active).toBe(false);
    expect(bit(m, ISACTIVER, 34)).toBe(0);
  });

  it('ARM-2.8 userspace accesses: latch for any trigger, ICPENDR WI (v3), no physical side, LEVEL_INFO, EBUSY', () => {
    const m = fixture({}, [32]);
    expect(() => m.user.readDist(0)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    const p = platformDevice(m, { irq: 92, gsi: 3 });
    m.forward({ hostIrq: 92, gsi: 3 });
    setPriority(m, 40, 0x20);
    m.setRunState(0, 'host');
    m.user.writeDist(ISPENDR + 4, 0b1001);
    expect(m.irq(32)!.pendingLatch).toBe(true);
    expect(m.irq(35)!.pendingLatch).toBe(true);
    expect(p.line.active).toBe(false);
    m.user.writeDist(ICPENDR + 4, 0b1);
    expect(m.irq(32)!.pendingLatch).toBe(true);
    m.user.writeDist(ISACTIVER + 4, 0b1000);
    expect(m.irq(35)!.active).toBe(true);
    expect(p.line.active).toBe(false);
    m.user.setLevelInfo(0, 32, 0b100);
    expect(m.irq(34)!.lineLevel).toBe(true);
    expect(m.user.levelInfo(0, 32) & 0b100).toBe(0b100);
    expect(() => m.user.setLevelInfo(0, 40, 1)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(m.user.readDist(0x400 + 40) & 0xff).toBe(0x20);
  });
});
