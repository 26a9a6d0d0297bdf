import { describe, expect, it } from 'vitest';
import { createArmMachine, SGI_BASE } from '../src/index.js';
import {
  bit,
  distRead,
  distWrite,
  fixture,
  ICENABLER,
  ISENABLER,
  ISPENDR,
  line,
  rdRead,
  rdWrite,
  take,
  track,
} from './helpers.js';

describe('arm.md §8.3 register semantics', () => {
  it('S-ARM-24 ICFGR: SGIs read edge, PPIs level, both WI; SPI fields 10 / 00 / 01', () => {
    for (const gic of ['v3', 'v2'] as const) {
      const m = fixture({ gic });
      const sgiCfg = gic === 'v3' ? () => rdRead(m, 0, SGI_BASE + 0xc00) : () => distRead(m, 0xc00);
      if (gic === 'v3') rdWrite(m, 0, SGI_BASE + 0xc00, 0);
      else distWrite(m, 0xc00, 0);
      expect(sgiCfg()).toBe(0xaaaaaaaa);
      expect(gic === 'v3' ? rdRead(m, 0, SGI_BASE + 0xc04) : distRead(m, 0xc04)).toBe(0);
      distWrite(m, 0xc08, 0b10);
      expect(distRead(m, 0xc08) & 3).toBe(0b10);
      expect(m.irq(32)!.config).toBe('edge');
      distWrite(m, 0xc08, 0b00);
      expect(distRead(m, 0xc08) & 3).toBe(0);
      expect(m.irq(32)!.config).toBe('level');
      distWrite(m, 0xc08, 0b01);
      expect(distRead(m, 0xc08) & 3).toBe(0);
      expect(m.irq(32)!.config).toBe('level');
    }
  });

  it('S-ARM-25 ITARGETSR (v2): masked to existing vCPUs, lowest bit wins, 0 → vCPU 0', () => {
    const m = fixture({ gic: 'v2', vcpus: 2 });
    const tgt = m.layout.dist + 0x800 + 40;
    m.mmio.write(0, tgt, 1, 0x06);
    expect(m.mmio.read(0, tgt, 1)).toBe(0x02);
    line(m, 40, 1);
    expect(take(m, 0)).toBe(1023);
    expect(take(m, 1)).toBe(40);
    m.cpu(1).eoir(40);
    // Written by vCPU 1: its trap exit prunes SPI 40 off its ap_list (ARM-3.11).
    m.mmio.write(1, tgt, 1, 0x00);
    expect(m.mmio.read(0, tgt, 1)).toBe(0);
    line(m, 40, 1);
    expect(take(m, 0)).toBe(40);
    m.mmio.write(1, m.layout.dist + 0x800 + 20, 1, 0xff);
    expect(m.mmio.read(1, m.layout.dist + 0x800 + 20, 1)).toBe(0x02);
  });

  it('S-ARM-26 IROUTER (v3): affinity match, no match never delivers, upper word and IRM read 0', () => {
    const m = fixture({ vcpus: 2 });
    const r = m.layout.dist + 0x6000 + 40 * 8;
    m.mmio.write64(0, r, BigInt(m.vcpuState(1).affinity));
    line(m, 40, 1);
    expect(take(m, 1)).toBe(40);
    m.cpu(1).eoir(40);
    m.mmio.write64(0, r, 0xffff_ffff_8000_00ffn);
    expect(m.mmio.read64(0, r)).toBe(0xffn);
    line(m, 40, 1);
    expect(take(m, 0)).toBe(1023);
    expect(take(m, 1)).toBe(1023);
    expect(bit(m, ISPENDR, 40)).toBe(1);
  });

  it('S-ARM-27 a disabled IRQ stays pending; enabling delivers it (1 mmio exit)', () => {
    const m = fixture();
    distWrite(m, ICENABLER + 4, 1);
    line(m, 32, 1);
    expect(take(m)).toBe(1023);
    expect(bit(m, ISPENDR, 32)).toBe(1);
    const d = track(m);
    distWrite(m, ISENABLER + 4, 1);
    expect(d('exits.mmio')).toBe(1);
    expect(take(m)).toBe(32);
  });

  it('S-ARM-28 distributor disabled: nothing delivered until EnableGrp1', () => {
    const m = fixture();
    distWrite(m, 0, 0);
    line(m, 32, 1);
    expect(take(m)).toBe(1023);
    distWrite(m, 0, 2);
    expect(take(m)).toBe(32);
  });

  it('S-ARM-29 ICENABLER with the IRQ already in an LR: the next flush drops it', () => {
    const m = fixture();
    line(m, 32, 1);
    expect(m.vcpuState(0).lr.vintid[0]).toBe(32);
    distWrite(m, ICENABLER + 4, 1);
    expect(take(m)).toBe(1023);
    expect(bit(m, ISPENDR, 32)).toBe(1);
  });

  it('S-ARM-30 redistributor identity: TYPER, Last, PLPIS, WAKER', () => {
    for (const its of [false, true]) {
      const m = fixture({ vcpus: 2, its });
      for (let n = 0; n < 2; n++) {
        const typer = m.mmio.read64(0, m.layout.redist + n * 0x20000 + 8);
        expect(Number((typer >> 8n) & 0xffffn)).toBe(n);
        expect(Number(typer >> 32n)).toBe(m.vcpuState(n).affinity);
        expect(Number((typer >> 4n) & 1n)).toBe(n === 1 ? 1 : 0);
        expect(Number(typer & 1n)).toBe(its ? 1 : 0);
        expect(rdRead(m, n, 0x14)).toBe(0);
      }
    }
  });

  it('S-ARM-31 GICD_TYPER with and without an ITS', () => {
    expect(distRead(createArmMachine({ vcpus: 1, nrSpis: 32, its: true }), 4)).toBe(0x007a0001);
    expect(distRead(createArmMachine({ vcpus: 1, nrSpis: 32 }), 4)).toBe(0x00480001);
  });

  it('S-ARM-32 bad accesses: 16-bit read and misaligned write are RAZ/WI', () => {
    const m = fixture();
    distWrite(m, ICENABLER + 4, 0xffffffff);
    expect(m.mmio.read(0, m.layout.dist + ISENABLER + 4, 2)).toBe(0);
    m.mmio.write(0, m.layout.dist + ISENABLER + 4 + 2, 4, 0xffffffff);
    expect(distRead(m, ISENABLER + 4)).toBe(0);
  });
});
