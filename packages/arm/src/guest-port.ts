import {
  checkRange,
  type GuestPort,
  IrqError,
  type LineConfig,
  type MsiConfig,
  ROUTE_FLAG_VALID_DEVID,
  type RoutingEntry,
} from '@irqkit/core';
import type { GuestBus } from './bus.js';
import { MIN_LPI, NR_PRIVATE_IRQS, SPURIOUS_INTID } from './constants.js';
import { defaultDriverLayout, ItsDriver, itsCommand } from './its/driver.js';
import { propbaseAddress } from './its/lpi.js';
import type { ArmMachine } from './machine.js';
import { affinityOf } from './vgic/vgic.js';

/** The DeviceID the GuestPort's MSIs use (the top 16-bit DeviceID). */
export const PORT_DEVID = 0xffff;

/** GuestPort priority p (0..11, larger = more urgent) as a GIC priority: `(11 − p) << 4`. */
export function portPriority(p: number): number {
  return (11 - p) << 4;
}

/**
 * The GuestPort on ARM (design.md; the mapping the conformance kit relies on):
 * - `configure(gsi, …)`: the SPI behind the GSI's irqchip route gets GICD_ICFGR (edge/level),
 *   GICD_ITARGETSR (v2) or GICD_IROUTER (v3) = the target vCPU, and IPRIORITYR =
 *   `(11 − priority) << 4`; its enable is unchanged.
 * - `mask` / `unmask`: GICD_ICENABLER / GICD_ISENABLER.
 * - `take(vcpu)`: ICC_IAR1_EL1 (v3) / GICV_IAR (v2); 1023 → null; the token is the INTID.
 * - `eoi(vcpu, token)`: ICC_EOIR1_EL1 / GICV_EOIR, plus DIR in EOImode 1.
 * - `configureMsi(gsi, …)` (with an ITS): LPI `8192 + gsi` of DeviceID 0xFFFF, EventID `gsi`,
 *   in collection `target`; the GSI is routed as an MSI to GITS_TRANSLATER.
 * Configuration writes model setup the guest did before: they have the registers' effects but
 * count no exits.
 */
export class ArmGuestPort implements GuestPort {
  private driver: ItsDriver | null = null;
  private readonly mapped = new Set<number>();
  private readonly collections = new Set<number>();

  /**
   * @param m - the machine.
   * @param bus - the non-counting guest bus.
   */
  constructor(
    private readonly m: ArmMachine,
    private readonly bus: GuestBus,
  ) {}

  private dist(off: number): number {
    return this.m.layout.dist + off;
  }

  private v0() {
    return this.m.vcpuState(0);
  }

  /** The SPI INTID behind `gsi`. @throws IrqError EINVAL when not an SPI pin route */
  private spiOf(gsi: number): number {
    const e = this.m.vm.entriesFor(gsi).find((x) => x.kind === 'irqchip') as
      | { chip: number; pin: number }
      | undefined;
    if (e === undefined || e.chip !== 0 || e.pin >= this.m.gic.nrSpis) {
      throw new IrqError('EINVAL', `gsi ${String(gsi)} is not routed to an SPI`);
    }
    return NR_PRIVATE_IRQS + e.pin;
  }

  configure(gsi: number, config: LineConfig): void {
    const intid = this.spiOf(gsi);
    checkRange('target', config.target, 0, this.m.vcpus - 1);
    checkRange('priority', config.priority, 0, 11);
    if (config.trigger !== 'edge' && config.trigger !== 'level') {
      throw new IrqError('EINVAL', `trigger '${String(config.trigger)}' is invalid`);
    }
    const v = this.v0();
    const s = this.m.vm.scheduler;
    s.enter();
    try {
      const cfgOff = 0xc00 + Math.floor(intid / 16) * 4;
      const shift = (intid % 16) * 2;
      const old = this.bus.read(v, this.dist(cfgOff), 4);
      const field = config.trigger === 'edge' ? 2 : 0;
      this.bus.write(v, this.dist(cfgOff), 4, ((old & ~(3 << shift)) | (field << shift)) >>> 0);
      if (this.m.gic.v3) {
        this.bus.write64(v, this.dist(0x6000 + intid * 8), BigInt(affinityOf(config.target)));
      } else {
        this.bus.write(v, this.dist(0x800 + intid), 1, 1 << config.target);
      }
      this.bus.write(v, this.dist(0x400 + intid), 1, portPriority(config.priority));
    } finally {
      s.exit();
    }
  }

  mask(gsi: number): void {
    const intid = this.spiOf(gsi);
    this.bus.write(this.v0(), this.dist(0x180 + Math.floor(intid / 32) * 4), 4, 1 << (intid % 32));
  }

  unmask(gsi: number): void {
    const intid = this.spiOf(gsi);
    this.bus.write(this.v0(), this.dist(0x100 + Math.floor(intid / 32) * 4), 4, 1 << (intid % 32));
  }

  take(vcpu: number): number | null {
    const intid = this.m.cpu(vcpu).iar();
    const id = this.m.gic.v3 ? intid : intid & 0x3ff;
    return id === SPURIOUS_INTID ? null : intid;
  }

  eoi(vcpu: number, token: number): void {
    const cpu = this.m.cpu(vcpu);
    cpu.eoir(token);
    if (cpu.eoiMode === 1) cpu.dir(token);
  }

  configureMsi(gsi: number, config: MsiConfig): void {
    const m = this.m;
    if (m.its === null) throw new IrqError('ENODEV', 'configureMsi needs an ITS');
    checkRange('gsi', gsi, 0, 4095);
    checkRange('target', config.target, 0, m.vcpus - 1);
    checkRange('priority', config.priority, 0, 11);
    const s = m.vm.scheduler;
    s.enter();
    try {
      const d = this.itsDriver();
      const lpi = MIN_LPI + gsi;
      const cmds: bigint[][] = [];
      if (!this.collections.has(config.target)) {
        cmds.push(itsCommand.mapc(config.target, config.target));
        this.collections.add(config.target);
      }
      d.setLpiConfig(lpi, portPriority(config.priority), true);
      if (this.mapped.has(gsi)) cmds.push(itsCommand.movi(PORT_DEVID, gsi, config.target));
      else cmds.push(itsCommand.mapti(PORT_DEVID, gsi, lpi, config.target));
      cmds.push(itsCommand.inv(PORT_DEVID, gsi));
      d.submit(...cmds);
      this.mapped.add(gsi);
      const table: RoutingEntry[] = m.vm.router
        .entries()
        .filter((e) => e.gsi !== gsi) as RoutingEntry[];
      table.push({
        gsi,
        kind: 'msi',
        addressLo: d.doorbell % 2 ** 32,
        addressHi: Math.floor(d.doorbell / 2 ** 32),
        data: gsi,
        flags: ROUTE_FLAG_VALID_DEVID,
        devid: PORT_DEVID,
      });
      m.vm.setGsiRouting(table);
    } finally {
      s.exit();
    }
  }

  // The port's ITS driver: sets the ITS up unless the guest already enabled it.
  private itsDriver(): ItsDriver {
    if (this.driver !== null) return this.driver;
    const m = this.m;
    const v = this.v0();
    const regs = {
      read32: (a: number) => this.bus.read(v, a, 4),
      write32: (a: number, x: number) => this.bus.write(v, a, 4, x),
      write64: (a: number, x: bigint) => this.bus.write64(v, a, x),
    };
    const its = m.its!;
    // A guest that set its ITS up already keeps its tables: use its queue and config table.
    const layout = its.enabled
      ? {
          ...defaultDriverLayout(),
          queue: its.queueBase,
          queueBytes: its.queueSize,
          propTable: propbaseAddress(m.gic),
        }
      : defaultDriverLayout();
    const d = new ItsDriver(regs, m.memory, m.layout.its, m.layout.redist, m.vcpus, layout);
    if (!its.enabled) d.setup();
    d.submit(itsCommand.mapd(PORT_DEVID, 15, d.itt(PORT_DEVID), true));
    this.driver = d;
    return d;
  }
}
