import { EventFd, Host, TestScheduler } from '@irqkit/core';
import {
  type ArmMachine,
  type ArmMachineOptions,
  createArmMachine,
  ItsDriver,
  itsCommand,
  SGI_BASE,
} from '../src/index.js';

export { EventFd, Host, itsCommand, TestScheduler };

/** Options of the spec's default fixture (arm.md §8): v3, 1 vCPU running, 4 LRs, 64 IRQs. */
export const DEFAULTS: ArmMachineOptions = { vcpus: 1, gic: 'v3', listRegisters: 4, nrSpis: 32 };

/**
 * The §8 fixture: distributor and group 1 enabled (guestInit), every IRQ enabled with
 * priority 0xF0, PMR 0xF8, EOImode 0. SPIs stay edge (reset) unless `level` lists them.
 */
export function fixture(opts: Partial<ArmMachineOptions> = {}, level: number[] = []): ArmMachine {
  const m = createArmMachine({ ...DEFAULTS, ...opts });
  enableAll(m);
  for (const intid of level) setTrigger(m, intid, 'level');
  return m;
}

/** Enables every IRQ and sets every priority to `prio`, as the guest would. */
export function enableAll(m: ArmMachine, prio = 0xf0): void {
  const nr = m.gic.nrIrqs;
  for (let v = 0; v < m.vcpus; v++) {
    if (m.gic.v3) {
      rdWrite(m, v, SGI_BASE + 0x100, 0xffffffff, v);
      for (let i = 0; i < 32; i += 4) rdWrite(m, v, SGI_BASE + 0x400 + i, prio * 0x01010101, v);
    } else {
      distWrite(m, 0x100, 0xffffffff, v);
      for (let i = 0; i < 32; i += 4) distWrite(m, 0x400 + i, prio * 0x01010101, v);
    }
  }
  for (let r = 1; r < nr / 32; r++) distWrite(m, 0x100 + 4 * r, 0xffffffff);
  for (let i = 32; i < nr; i += 4) distWrite(m, 0x400 + i, (prio * 0x01010101) >>> 0);
}

/** Guest 32-bit distributor write from `vcpu`. */
export function distWrite(m: ArmMachine, off: number, value: number, vcpu = 0): void {
  m.mmio.write(vcpu, m.layout.dist + off, 4, value >>> 0);
}

/** Guest 32-bit distributor read. */
export function distRead(m: ArmMachine, off: number, vcpu = 0): number {
  return m.mmio.read(vcpu, m.layout.dist + off, 4);
}

/** Guest write to redistributor `rd` (offset from RD_base; SGI frame at SGI_BASE). */
export function rdWrite(m: ArmMachine, rd: number, off: number, value: number, vcpu = 0): void {
  m.mmio.write(vcpu, m.layout.redist + rd * 0x20000 + off, 4, value >>> 0);
}

/** Guest read of redistributor `rd`. */
export function rdRead(m: ArmMachine, rd: number, off: number, vcpu = 0): number {
  return m.mmio.read(vcpu, m.layout.redist + rd * 0x20000 + off, 4);
}

/** Byte write of IPRIORITYR for `intid`. */
export function setPriority(m: ArmMachine, intid: number, prio: number, vcpu = 0): void {
  if (intid < 32 && m.gic.v3)
    m.mmio.write(vcpu, m.layout.redist + vcpu * 0x20000 + SGI_BASE + 0x400 + intid, 1, prio);
  else m.mmio.write(vcpu, m.layout.dist + 0x400 + intid, 1, prio);
}

/** Programs GICD_ICFGR for an SPI. */
export function setTrigger(m: ArmMachine, intid: number, trigger: 'edge' | 'level'): void {
  const off = 0xc00 + Math.floor(intid / 16) * 4;
  const shift = (intid % 16) * 2;
  const old = distRead(m, off);
  distWrite(m, off, ((old & ~(3 << shift)) | ((trigger === 'edge' ? 2 : 0) << shift)) >>> 0);
}

/** Bit `intid` of a per-IRQ bitmap register (ISPENDR 0x200, ISACTIVER 0x300, …). */
export function bit(m: ArmMachine, base: number, intid: number, vcpu = 0): number {
  if (intid < 32 && m.gic.v3) return (rdRead(m, vcpu, SGI_BASE + base, vcpu) >>> intid) & 1;
  return (distRead(m, base + Math.floor(intid / 32) * 4, vcpu) >>> (intid % 32)) & 1;
}

/** Writes bit `intid` of a per-IRQ set/clear register. */
export function setBit(m: ArmMachine, base: number, intid: number, vcpu = 0): void {
  if (intid < 32 && m.gic.v3) rdWrite(m, vcpu, SGI_BASE + base, 1 << intid, vcpu);
  else distWrite(m, base + Math.floor(intid / 32) * 4, 1 << (intid % 32), vcpu);
}

export const ISENABLER = 0x100;
export const ICENABLER = 0x180;
export const ISPENDR = 0x200;
export const ICPENDR = 0x280;
export const ISACTIVER = 0x300;
export const ICACTIVER = 0x380;

/** Guest acknowledge on `vcpu` (IAR1 on v3, GICV_IAR on v2). */
export function take(m: ArmMachine, vcpu = 0): number {
  return m.cpu(vcpu).iar();
}

/** Guest EOIR. */
export function eoi(m: ArmMachine, intid: number, vcpu = 0): void {
  m.cpu(vcpu).eoir(intid);
}

/** Guest DIR. */
export function dir(m: ArmMachine, intid: number, vcpu = 0): void {
  m.cpu(vcpu).dir(intid);
}

/** Line injection shorthand. */
export function line(m: ArmMachine, intid: number, level: boolean | number): number {
  return m.injectLine({ kind: 'spi', intid, level }).status;
}

/** Counter deltas from now: `d('exits.maintenance')` (machine) or `d('exits.kick', 1)`. */
export function track(m: ArmMachine): (name: string, vcpu?: number) => number {
  const machine = m.counters.snapshot();
  const host = m.host.counters.snapshot();
  const per = Array.from({ length: m.vcpus }, (_, i) => m.vcpuCounters(i).snapshot());
  return (name, vcpu) => {
    if (vcpu !== undefined) return m.vcpuCounters(vcpu).get(name) - (per[vcpu]![name] ?? 0);
    if (name.startsWith('host.')) {
      const n = name.slice(5);
      return m.host.counters.get(n) - (host[n] ?? 0);
    }
    return m.counters.get(name) - (machine[name] ?? 0);
  };
}

/** Sum of the guest exits of arm.md §7. */
export function exits(d: (name: string, vcpu?: number) => number, vcpu?: number): number {
  return (
    d('exits.kick', vcpu) +
    d('exits.maintenance', vcpu) +
    d('exits.mmio', vcpu) +
    d('exits.sysreg', vcpu)
  );
}

/** A guest ITS driver over the machine's trapping bus, from vCPU `vcpu`. */
export function itsDriver(m: ArmMachine, vcpu = 0): ItsDriver {
  return new ItsDriver(
    {
      read32: (a) => m.mmio.read(vcpu, a, 4),
      write32: (a, v) => m.mmio.write(vcpu, a, 4, v),
      write64: (a, v) => m.mmio.write64(vcpu, a, v),
    },
    m.memory,
    m.layout.its,
    m.layout.redist,
    m.vcpus,
  );
}

/**
 * The §8.7 ITS fixture: ITS enabled with valid tables, PROPBASER.IDbits = 15, LPI 8192's
 * config 0xA1, EnableLPIs on every vCPU, MAPD(1, Size 3), MAPC(0 → vCPU 0),
 * MAPTI(1, 2 → 8192, ICID 0).
 */
export function itsFixture(opts: Partial<ArmMachineOptions> = {}): { m: ArmMachine; d: ItsDriver } {
  const m = fixture({ its: true, ...opts });
  const d = itsDriver(m);
  d.setup();
  d.setLpiConfig(8192, 0xa0, true);
  d.submit(itsCommand.mapd(1, 3, d.itt(1)), itsCommand.mapc(0, 0), itsCommand.mapti(1, 2, 8192, 0));
  return { m, d };
}

/** The canonical doorbell 0x0809_0040 as an MSI from device `devid` with data `data`. */
export function msi(
  devid: number,
  data: number,
): {
  addressLo: number;
  addressHi: number;
  data: number;
  flags: number;
  devid: number;
} {
  return { addressLo: 0x0809_0040, addressHi: 0, data, flags: 1, devid };
}
