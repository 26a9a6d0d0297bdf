import { EventFd, type Irqfd, VfioPlatformIrq } from '@irqkit/core';
import type { ArmMachine } from '../src/index.js';
import { setTrigger } from './helpers.js';

/** A VFIO platform level IRQ (host line `irq`) wired to GSI `gsi` with a resampling irqfd. */
export function platformDevice(
  m: ArmMachine,
  opts: { irq?: number; gsi?: number; resample?: boolean } = {},
): {
  line: ReturnType<ArmMachine['host']['irqs']['createLine']>;
  vfio: VfioPlatformIrq;
  fd: EventFd;
  rfd: EventFd;
  irqfd: Irqfd;
  assert: () => void;
  deassert: () => void;
} {
  const gsi = opts.gsi ?? 0;
  const line = m.host.irqs.createLine(opts.irq ?? 77);
  const dev = {};
  const fd = new EventFd();
  const rfd = new EventFd();
  const vfio = new VfioPlatformIrq(m.host, line, { trigger: fd, unmask: rfd });
  setTrigger(m, 32 + gsi, 'level');
  const irqfd = m.vm.irqfds.assign(
    opts.resample === false ? { eventfd: fd, gsi } : { eventfd: fd, gsi, resamplefd: rfd },
  );
  return {
    line,
    vfio,
    fd,
    rfd,
    irqfd,
    assert: () => line.setOutput(dev, true),
    deassert: () => line.setOutput(dev, false),
  };
}
