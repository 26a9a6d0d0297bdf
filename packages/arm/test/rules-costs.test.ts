import { EventFd, type RoutingEntry, VfioMsiDevice } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import type { ArmMachine } from '../src/index.js';
import {
  dir,
  distWrite,
  eoi,
  exits,
  fixture,
  ISENABLER,
  itsCommand,
  itsFixture,
  line,
  msi,
  take,
  track,
} from './helpers.js';
import { platformDevice } from './platform.js';

type Delta = ReturnType<typeof track>;

/** One interrupt through a VFIO platform level IRQ and a resampling irqfd, taken and completed. */
function platformCycle(m: ArmMachine, p: ReturnType<typeof platformDevice>): Delta {
  const d = track(m);
  p.assert();
  expect(take(m)).toBe(32);
  p.deassert();
  eoi(m, 32);
  return d;
}

function msiDevice(m: ArmMachine, gsi = 100) {
  const t: RoutingEntry[] = [
    ...(m.vm.router.entries() as RoutingEntry[]).filter((x) => x.gsi !== gsi),
    { gsi, kind: 'msi', ...msi(1, 2) },
  ];
  m.vm.setGsiRouting(t);
  const fd = new EventFd();
  m.vm.irqfds.assign({ eventfd: fd, gsi });
  const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
  dev.setTrigger(0, fd);
  return dev;
}

describe('arm.md §7 exits and costs per delivery path', () => {
  it('ARM-7.1 LR overflow costs ≥ 1 maintenance exit per extra batch; trapped DIRs cost sysreg exits', () => {
    const m = fixture();
    m.setRunState(0, 'host');
    for (let i = 0; i < 12; i++) line(m, 32 + i, 1);
    const d = track(m);
    m.setRunState(0, 'guest');
    for (let t = take(m); t !== 1023; t = take(m)) eoi(m, t);
    expect(d('exits.maintenance')).toBeGreaterThanOrEqual(2);
    const e = fixture({ listRegisters: 1 });
    e.cpu(0).eoiMode = 1;
    line(e, 32, 1);
    expect(take(e)).toBe(32);
    e.cpu(0).eoir(32);
    line(e, 33, 1);
    expect(take(e)).toBe(33);
    e.cpu(0).eoir(33);
    const de = track(e);
    dir(e, 33);
    dir(e, 32);
    expect(de('exits.sysreg')).toBe(1); // one of the two is outside the single LR
  });

  it('ARM-7.2 an edge re-injection of an IRQ in an LR costs a kick; coalesced ones no new LR', () => {
    const m = fixture();
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    const d = track(m);
    expect(line(m, 32, 1)).toBe(1); // active in the LR: newly pending (P+A)
    expect(d('exits.kick')).toBe(1);
    expect(line(m, 32, 1)).toBe(0); // already pending in the LR: coalesced
    expect(d('exits.kick')).toBe(2);
    expect(m.vcpuState(0).usedLrs).toBe(1);
    eoi(m, 32);
    expect(take(m)).toBe(32);
    eoi(m, 32);
    expect(take(m)).toBe(1023);
  });

  it('ARM-7.3 GICD/GICR/GITS accesses are one mmio exit each; the CPU interface costs nothing', () => {
    const { m, d: drv } = itsFixture();
    const d = track(m);
    distWrite(m, ISENABLER + 4, 1);
    m.mmio.read(0, m.layout.redist + 8, 4);
    drv.submit(itsCommand.sync(0), itsCommand.sync(0), itsCommand.sync(0));
    expect(d('exits.mmio')).toBe(3);
    m.cpu(0).pmr = 0xf0;
    m.cpu(0).iar();
    m.cpu(0).eoiMode = 0;
    m.sysreg.read(0, 'ICC_CTLR_EL1');
    expect(d('exits.mmio') + d('exits.sysreg') + d('exits.kick') + d('exits.maintenance')).toBe(3);
  });

  it('ARM-7.4 seed 004 in counters: forwarded costs 0 maintenance and 0 resample round trips; unforwarded 1 of each', () => {
    const fwd = fixture();
    const pf = platformDevice(fwd);
    fwd.forward({ hostIrq: 77, gsi: 0 });
    const p5 = platformCycle(fwd, pf);
    const sw = fixture();
    const ps = platformDevice(sw);
    const p4 = platformCycle(sw, ps);
    expect(p5('exits.maintenance')).toBe(0);
    expect(p5('resamplefdSignals')).toBe(0);
    expect(p5('ackNotifications')).toBe(0);
    expect(p4('exits.maintenance')).toBe(1);
    expect(p4('resamplefdSignals')).toBe(1);
    expect(p4('ackNotifications')).toBe(1);
    // The host side: a VFIO mask/unmask pair per interrupt without forwarding, none with it.
    expect(p4('host.vfioMasks') + p4('host.vfioUnmasks')).toBe(2);
    expect(p5('host.vfioMasks') + p5('host.vfioUnmasks')).toBe(0);
    // Both: one host IRQ, one deferred irqfd injection, one kick.
    for (const p of [p4, p5]) {
      expect(p('host.hostIrqs')).toBe(1);
      expect(p('schedTasks')).toBe(1);
      expect(p('exits.kick')).toBe(1);
    }
  });
});

describe('arm.md §7 table: costs per path (target vCPU running)', () => {
  it('ARM-7.4 P1 userspace edge SPI: 1 kick; P2 level SPI: 1 kick + 1 maintenance + 1 ack', () => {
    const m = fixture({}, [33]);
    let d = track(m);
    line(m, 32, 1);
    line(m, 32, 0);
    eoi(m, take(m));
    expect([d('exits.kick'), d('exits.maintenance'), d('ackNotifications')]).toEqual([1, 0, 0]);
    d = track(m);
    line(m, 33, 1);
    expect(take(m)).toBe(33);
    line(m, 33, 0);
    eoi(m, 33);
    expect([d('exits.kick'), d('exits.maintenance'), d('ackNotifications')]).toEqual([1, 1, 1]);
  });

  it('ARM-7.4 P3 irqfd edge SPI: 1 schedTask, 1 kick', () => {
    const m = fixture();
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 0 });
    const d = track(m);
    fd.signal();
    eoi(m, take(m));
    expect([d('schedTasks'), d('exits.kick'), d('exits.maintenance')]).toEqual([1, 1, 0]);
  });

  it('ARM-7.4 P6/P6m ITS LPI via irqfd: hit 0 schedTasks, miss 1; 1 kick either way', () => {
    const { m } = itsFixture();
    const dev = msiDevice(m);
    let d = track(m);
    dev.fire(0);
    eoi(m, take(m));
    expect([d('host.hostIrqs'), d('schedTasks'), d('exits.kick')]).toEqual([1, 1, 1]);
    d = track(m);
    dev.fire(0);
    eoi(m, take(m));
    expect([d('host.hostIrqs'), d('schedTasks'), d('exits.kick')]).toEqual([1, 0, 1]);
  });

  it('ARM-7.4 P7/P7d GICv4 vLPI: resident 0 exits and no host IRQ; blocked 1 doorbell, 1 wakeup', () => {
    const { m } = itsFixture({ gicv4: '4.1' });
    const dev = msiDevice(m);
    let d = track(m);
    dev.fire(0);
    eoi(m, take(m));
    expect([exits(d), d('host.hostIrqs'), d('doorbells')]).toEqual([0, 0, 0]);
    m.setRunState(0, 'blocked');
    d = track(m);
    dev.fire(0);
    eoi(m, take(m));
    expect([exits(d), d('host.hostIrqs'), d('doorbells'), d('wakeups')]).toEqual([0, 1, 1, 1]);
  });

  it('ARM-7.4 P8 guest SGI: 1 sysreg on the sender, 1 kick on the target; P8v vSGI: no kick', () => {
    const m = fixture({ vcpus: 2 });
    let d = track(m);
    m.cpu(0).sgi(BigInt((1 << 24) | 0b10));
    eoi(m, take(m, 1), 1);
    expect([d('exits.sysreg', 0), d('exits.kick', 1)]).toEqual([1, 1]);
    const v = itsFixture({ gicv4: '4.1', vcpus: 2 }).m;
    distWrite(v, 0, 0);
    distWrite(v, 0, 2 | (1 << 8));
    d = track(v);
    v.cpu(0).sgi(BigInt((1 << 24) | 0b10));
    eoi(v, take(v, 1), 1);
    expect([d('exits.sysreg', 0), exits(d, 1)]).toEqual([1, 0]);
  });
});
