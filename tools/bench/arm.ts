/**
 * ARM VGIC benchmarks (issue 4): one full cycle per delivery path of arm.md §7 — device or
 * eventfd → VGIC → list register → the guest's acknowledge and EOI — on a running vCPU, plus
 * the memory of a large machine.
 */
import {
  type ArmMachine,
  type CpuInterface,
  createArmMachine,
  ItsDriver,
  itsCommand,
} from '@irqkit/arm';
import { EventFd, type RoutingEntry, VfioMsiDevice, VfioPlatformIrq } from '@irqkit/core';
import { type Bench, heapUsed } from './harness.js';

const DOORBELL = 0x0809_0040;

function guestDriver(m: ArmMachine, vcpu = 0): ItsDriver {
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

function enableSpi(m: ArmMachine, intid: number, level: boolean): void {
  const D = m.layout.dist;
  m.mmio.write(0, D + 0x100 + 4 * (intid >> 5), 4, 1 << (intid & 31));
  m.mmio.write(0, D + 0x400 + intid, 1, 0xa0);
  const cfg = D + 0xc00 + 4 * (intid >> 4);
  const old = m.mmio.read(0, cfg, 4);
  const shift = (intid & 15) * 2;
  m.mmio.write(0, cfg, 4, ((old & ~(3 << shift)) | ((level ? 0 : 2) << shift)) >>> 0);
}

function check(t: number, want: number): void {
  if (t !== want) throw new Error(`expected INTID ${want}, took ${t}`);
}

/** A VFIO platform level IRQ on SPI 32 with a resampling irqfd; optionally forwarded. */
function platformCycle(forward: boolean): () => void {
  const m = createArmMachine({ vcpus: 1 });
  enableSpi(m, 32, true);
  const line = m.host.irqs.createLine(77);
  const fd = new EventFd();
  const rfd = new EventFd();
  new VfioPlatformIrq(m.host, line, { trigger: fd, unmask: rfd });
  m.vm.irqfds.assign({ eventfd: fd, gsi: 0, resamplefd: rfd });
  if (forward) m.forward({ hostIrq: 77, gsi: 0 });
  const cpu = m.cpu(0);
  const dev = {};
  return () => {
    line.setOutput(dev, true);
    check(cpu.iar(), 32);
    line.setOutput(dev, false);
    cpu.eoir(32);
  };
}

function itsMachine(gicv4: 'none' | '4.1'): { m: ArmMachine; cpu: CpuInterface } {
  const m = createArmMachine({ vcpus: 1, its: true, gicv4 });
  const d = guestDriver(m);
  d.setup();
  d.setLpiConfig(8192, 0xa0, true);
  d.submit(itsCommand.mapd(1, 3, d.itt(1)), itsCommand.mapc(0, 0), itsCommand.mapti(1, 2, 8192, 0));
  const route: RoutingEntry[] = [
    { gsi: 100, kind: 'msi', addressLo: DOORBELL, addressHi: 0, data: 2, flags: 1, devid: 1 },
  ];
  m.vm.setGsiRouting(route);
  return { m, cpu: m.cpu(0) };
}

export const armBenches: Bench[] = [
  {
    kind: 'cycles',
    group: 'arm',
    name: 'SPI edge via irqfd: signal → deferred inject → kick → LR → IAR → EOIR (P3)',
    target: 10_000_000,
    setup() {
      const m = createArmMachine({ vcpus: 1 });
      enableSpi(m, 32, false);
      const fd = new EventFd();
      m.vm.irqfds.assign({ eventfd: fd, gsi: 0 });
      const cpu = m.cpu(0);
      return () => {
        fd.signal();
        check(cpu.iar(), 32);
        cpu.eoir(32);
      };
    },
  },
  {
    kind: 'cycles',
    group: 'arm',
    name: 'SPI level via resamplefd: VFIO platform IRQ, EOI maintenance, resample, unmask (P4)',
    setup: () => platformCycle(false),
  },
  {
    kind: 'cycles',
    group: 'arm',
    name: 'forwarded SPI: VFIO platform IRQ, HW LR, guest EOI deactivates the line (P5)',
    setup: () => platformCycle(true),
  },
  {
    kind: 'cycles',
    group: 'arm',
    name: 'ITS LPI via irqfd: signal → translation cache hit → LR → IAR → EOIR (P6)',
    setup() {
      const { m, cpu } = itsMachine('none');
      const fd = new EventFd();
      m.vm.irqfds.assign({ eventfd: fd, gsi: 100 });
      return () => {
        fd.signal();
        check(cpu.iar(), 8192);
        cpu.eoir(8192);
      };
    },
  },
  {
    kind: 'cycles',
    group: 'arm',
    name: 'GICv4.1 vLPI while resident: device MSI → VPT → IAR → EOIR (P7)',
    setup() {
      const { m, cpu } = itsMachine('4.1');
      const fd = new EventFd();
      m.vm.irqfds.assign({ eventfd: fd, gsi: 100 });
      const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
      dev.setTrigger(0, fd);
      return () => {
        dev.fire(0);
        check(cpu.iar(), 8192);
        cpu.eoir(8192);
      };
    },
  },
  {
    kind: 'once',
    group: 'arm',
    name: 'memory: 1,024 vCPUs, 65,536 ITEs onto every LPI (57,344 = 16 ID bits)',
    run() {
      const before = heapUsed();
      const m = createArmMachine({
        vcpus: 1024,
        its: true,
        exceedKvmVcpuLimit: true,
        runState: 'host',
      });
      const d = guestDriver(m);
      d.setup();
      const cmds: bigint[][] = [];
      const flush = () => {
        d.submit(...cmds);
        cmds.length = 0;
      };
      for (let v = 0; v < 1024; v++) {
        cmds.push(itsCommand.mapc(v, v));
        if (cmds.length === 1000) flush();
      }
      flush();
      // 16 devices × 4,096 events = 65,536 ITEs; LPIs 8192..65535 (shared once exhausted).
      for (let dev = 0; dev < 16; dev++) {
        cmds.push(itsCommand.mapd(dev, 11, d.itt(dev)));
        for (let ev = 0; ev < 4096; ev++) {
          const n = dev * 4096 + ev;
          cmds.push(itsCommand.mapti(dev, ev, 8192 + (n % 57_344), n % 1024));
          if (cmds.length === 1000) flush();
        }
      }
      flush();
      const after = heapUsed();
      let ites = 0;
      for (const dev of m.its!.devices.values()) ites += dev.ites.size;
      return {
        vcpus: m.vcpus,
        ites,
        lpis: m.gic.lpis.size,
        heapMiB: (after - before) / 2 ** 20,
        targetMiB: '< 256',
      };
    },
  },
];
