import { describe, expect, it } from 'vitest';
import {
  EventFd,
  Host,
  type IrqArch,
  IrqError,
  LineForwarding,
  VfioPlatformIrq,
  type VfioPlatformIrqOptions,
  Vm,
} from '../src/index.js';
import { createGuest, type GuestOptions } from './host-guest.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    throw e;
  }
  return undefined;
}

/**
 * A platform level IRQ on the minimal guest. With `irqfd` a resampling irqfd on `gsi` holds
 * the trigger (its resamplefd is the unmask eventfd) and is registered *before* the VFIO IRQ;
 * `chip.eoi(gsi)` stands for the guest's EOI / deactivation.
 */
function platform(options: { gsi?: number; irqfd?: boolean; guest?: GuestOptions } = {}) {
  const g = createGuest(options.guest);
  const gsi = options.gsi ?? 3;
  const line = g.host.irqs.createLine();
  const output = {};
  const trigger = new EventFd();
  const resamplefd = new EventFd();
  if (options.irqfd === true) g.vm.irqfds.assign({ eventfd: trigger, gsi, resamplefd });
  const irq = new VfioPlatformIrq(g.host, line, { trigger, unmask: resamplefd });
  return {
    ...g,
    gsi,
    line,
    trigger,
    resamplefd,
    irq,
    assert: () => line.setOutput(output, true),
    deassert: () => line.setOutput(output, false),
  };
}

describe('HOST §4 platform level IRQs and forwarding', () => {
  it('HOST-4.1: the handler disables the line, masks and signals; unmask re-enables', () => {
    const p = platform();
    p.assert();
    expect(p.line.depth).toBe(1);
    expect(p.irq.masked).toBe(true);
    expect(p.trigger.count).toBe(1);
    expect(p.host.counters.get('vfioMasks')).toBe(1);
    p.deassert();
    p.resamplefd.signal(); // the unmask eventfd
    expect(p.resamplefd.count).toBe(0);
    expect(p.line.depth).toBe(0);
    expect(p.irq.masked).toBe(false);
    expect(p.trigger.count).toBe(1);
  });

  it('HOST-4.1: a still-asserted IRQ re-triggers through the line after the unmask', () => {
    const p = platform();
    p.assert();
    p.irq.unmask();
    expect(p.line.taken).toBe(2);
    expect(p.trigger.count).toBe(2);
    expect(p.irq.masked).toBe(true);
    expect(p.line.depth).toBe(1);
  });

  it('HOST-4.1: through a resampling irqfd, the guest EOI unmasks via the resamplefd', () => {
    const p = platform({ irqfd: true, guest: { forwarding: false } });
    p.assert();
    expect(p.irq.forwarded).toBe(false);
    expect(p.chip.deliveries[p.gsi]).toBe(1);
    p.deassert();
    p.chip.eoi(p.gsi);
    expect(p.vm.counters.get('resamplefdSignals')).toBe(1);
    expect(p.irq.masked).toBe(false);
    expect(p.line.depth).toBe(0);
  });

  it('HOST-4.1: a masked IRQ never signals, even when the line is enabled behind its back', () => {
    const p = platform();
    p.assert();
    p.line.enable(); // someone else's enable_irq; the level is stuck and VFIO does not claim it
    expect(p.trigger.count).toBe(1);
    expect(p.irq.masked).toBe(true);
    expect(p.line.spuriousDisabled).toBe(true); // HOST-1.4 catches the storm
  });

  it('HOST-4.1: the IRQ is requested exclusive; a second request → EBUSY, nothing registered', () => {
    const host = new Host();
    const line = host.irqs.createLine();
    const first = new VfioPlatformIrq(host, line, { trigger: new EventFd() });
    const trigger = new EventFd();
    let second: VfioPlatformIrq | undefined;
    expect(
      codeOf(() => {
        second = new VfioPlatformIrq(host, line, { trigger });
      }),
    ).toBe('EBUSY');
    expect(second).toBeUndefined();
    expect(line.handlers.length).toBe(1);
    // The refused trigger registered no producer: a new IRQ can take it as its token.
    first.release();
    const third = new VfioPlatformIrq(host, line, { trigger });
    expect(host.bypass.hasProducer(third)).toBe(true);
  });

  it('HOST-4.1: eventfds that are not EventFds are refused with EINVAL', () => {
    const host = new Host();
    const line = host.irqs.createLine();
    const bad = {} as unknown as EventFd;
    const opts: VfioPlatformIrqOptions[] = [
      { trigger: bad },
      { trigger: new EventFd(), unmask: bad },
    ];
    for (const o of opts) expect(codeOf(() => new VfioPlatformIrq(host, line, o))).toBe('EINVAL');
    expect(line.handlers.length).toBe(0);
  });

  it('HOST-4.2: forwarded, the handler only signals; the line stays active until the guest deactivates it', () => {
    const p = platform({ guest: { bypass: false } });
    p.vm.irqfds.assign({ eventfd: p.trigger, gsi: p.gsi, resamplefd: p.resamplefd });
    p.irq.forward(p.vm, p.gsi);
    p.assert();
    expect(p.trigger.count).toBe(0); // consumed by the irqfd
    expect(p.irq.triggers).toBe(1);
    expect(p.chip.deliveries[p.gsi]).toBe(1);
    expect(p.line.active).toBe(true);
    expect(p.line.depth).toBe(0);
    expect(p.irq.masked).toBe(false);
    p.chip.eoi(p.gsi); // still asserted: the physical IRQ fires again right after
    expect(p.line.taken).toBe(2);
    expect(p.chip.deliveries[p.gsi]).toBe(2);
    p.deassert();
    p.chip.eoi(p.gsi);
    expect(p.line.active).toBe(false);
    expect(p.vm.counters.get('resamplefdSignals')).toBe(0);
    expect(p.vm.counters.get('ackNotifications')).toBe(0);
    expect(p.host.counters.get('vfioMasks')).toBe(0);
    expect(p.host.counters.get('vfioUnmasks')).toBe(0);
  });

  it('HOST-4.3: forwarding while masked is EAGAIN and changes nothing', () => {
    const p = platform({ guest: { bypass: false } });
    p.irq.mask();
    expect(codeOf(() => p.irq.forward(p.vm, p.gsi))).toBe('EAGAIN');
    expect(p.irq.forwarded).toBe(false);
    expect(p.line.forwarded).toBe(false);
    expect(p.calls).toEqual([]);
  });

  it('HOST-4.3: forwarding while the physical IRQ is active is EAGAIN', () => {
    const g = createGuest();
    const line = g.host.irqs.createLine();
    const f = new LineForwarding(line);
    const out = {};
    let seen: string | undefined;
    line.request(
      'h',
      () => {
        seen = codeOf(() => f.forward(g.vm, 1, false)); // e.g. from another CPU, mid-handler
        line.setOutput(out, false);
        return true;
      },
      { shared: false },
    );
    line.setOutput(out, true);
    expect(seen).toBe('EAGAIN');
    expect(f.target).toBeNull();
    expect(g.calls).toEqual([]);
    f.forward(g.vm, 1, false); // inactive now
    expect(f.target).toEqual({ vm: g.vm, gsi: 1 });
  });

  it('HOST-4.3: an arch without forwarding → ENXIO; forwarded elsewhere → EBUSY; same pair → no-op', () => {
    const p = platform({ guest: { bypass: false } });
    const x86ish = createGuest({ host: p.host, forwarding: false });
    expect(codeOf(() => p.irq.forward(x86ish.vm, 1))).toBe('ENXIO');
    p.irq.forward(p.vm, p.gsi);
    p.irq.forward(p.vm, p.gsi);
    expect(p.calls.filter((c) => c.op === 'forward')).toHaveLength(1);
    expect(codeOf(() => p.irq.forward(p.vm, p.gsi + 1))).toBe('EBUSY');
    // One forwarding per physical line, whoever asks.
    expect(codeOf(() => new LineForwarding(p.line).forward(p.vm, 9, false))).toBe('EBUSY');
    expect(p.calls.filter((c) => c.op === 'forward')).toHaveLength(1);
  });

  it('HOST-4.3: an arch hook that refuses leaves the IRQ unforwarded', () => {
    const host = new Host();
    const refusing: IrqArch = {
      name: 'refusing',
      forwarding: {
        forward: () => {
          throw new IrqError('EINVAL', 'not an SPI');
        },
        unforward: () => {},
      },
    };
    const vm = new Vm({ host, arch: refusing });
    const line = host.irqs.createLine();
    const irq = new VfioPlatformIrq(host, line, { trigger: new EventFd() });
    expect(codeOf(() => irq.forward(vm, 0))).toBe('EINVAL');
    expect(irq.forwarded).toBe(false);
    expect(line.forwarded).toBe(false);
  });

  it('HOST-4.3: unforward is allowed any time; of a non-forwarded IRQ it is a no-op', () => {
    const p = platform({ guest: { bypass: false } });
    p.irq.unforward();
    expect(p.calls).toEqual([]);
    p.irq.forward(p.vm, p.gsi);
    p.assert();
    p.deassert(); // the device was serviced; the guest has not deactivated yet
    p.irq.unforward();
    expect(p.calls.map((c) => c.op)).toEqual(['forward', 'unforward']);
    expect(p.line.active).toBe(false);
    expect(p.line.forwarded).toBe(false);
    expect(p.irq.triggers).toBe(1);
  });

  it('HOST-4.4: producer and consumer with the same eventfd forward automatically, in either order', () => {
    const consumerFirst = platform({ irqfd: true });
    expect(consumerFirst.irq.forwarded).toBe(true);
    expect(consumerFirst.calls.map((c) => c.op)).toEqual(['forward', 'addProducer']);

    const producerFirst = platform();
    producerFirst.vm.irqfds.assign({
      eventfd: producerFirst.trigger,
      gsi: producerFirst.gsi,
      resamplefd: producerFirst.resamplefd,
    });
    expect(producerFirst.irq.forwarded).toBe(true);
    expect(producerFirst.calls).toContainEqual({
      op: 'forward',
      irq: producerFirst.line.irq,
      gsi: producerFirst.gsi,
    });
  });

  it('HOST-4.4: a level already high when the IRQ is requested is forwarded from the first interrupt', () => {
    const g = createGuest();
    const line = g.host.irqs.createLine();
    line.setOutput({}, true); // the device asserts before VFIO requests the line
    const trigger = new EventFd();
    const resamplefd = new EventFd();
    g.vm.irqfds.assign({ eventfd: trigger, gsi: 4, resamplefd });
    const irq = new VfioPlatformIrq(g.host, line, { trigger, unmask: resamplefd });
    expect(irq.forwarded).toBe(true);
    expect(irq.masked).toBe(false);
    expect(line.active).toBe(true);
    expect(g.chip.deliveries[4]).toBe(1);
  });

  it('HOST-4.4: releasing the producer unforwards', () => {
    const p = platform({ irqfd: true });
    p.assert();
    expect(p.line.active).toBe(true);
    p.irq.release();
    expect(p.calls.map((c) => c.op)).toEqual([
      'forward',
      'addProducer',
      'unforward',
      'delProducer',
    ]);
    expect(p.line.forwarded).toBe(false);
    expect(p.line.active).toBe(false);
    expect(p.line.taken).toBe(1); // no last interrupt through the released handler
  });

  it('HOST-4.4: pairing while the IRQ is masked stays on the resample path, and forwards at the next unmask', () => {
    const p = platform({ guest: { forwarding: true } });
    p.assert(); // handler ran, the IRQ is masked waiting for a guest EOI nobody will send yet
    p.vm.irqfds.assign({ eventfd: p.trigger, gsi: p.gsi, resamplefd: p.resamplefd });
    expect(p.host.bypass.hasConsumer(p.vm.irqfds.active[0]!)).toBe(true); // paired …
    expect(p.irq.forwarded).toBe(false); // … but not forwarded (EAGAIN)
    expect(p.irq.consumer).not.toBeNull();
    // The pending signal reached the guest through the irqfd; its EOI unmasks, which forwards.
    expect(p.chip.deliveries[p.gsi]).toBe(1);
    p.deassert();
    p.chip.eoi(p.gsi);
    expect(p.irq.forwarded).toBe(true);
    p.assert();
    expect(p.line.active).toBe(true);
    expect(p.irq.masked).toBe(false);
  });

  it('HOST-4.4: on an arch without forwarding the pair connects and nothing is forwarded', () => {
    const p = platform({ irqfd: true, guest: { forwarding: false } });
    expect(p.irq.consumer).not.toBeNull();
    expect(p.irq.forwarded).toBe(false);
    p.assert();
    expect(p.irq.masked).toBe(true);
  });

  it('HOST-S11: forward while the IRQ is being handled → EAGAIN; after the guest completes it → forward succeeds', () => {
    const p = platform({ guest: { bypass: false } });
    p.vm.irqfds.assign({ eventfd: p.trigger, gsi: p.gsi, resamplefd: p.resamplefd });
    p.assert(); // the host handler ran, the guest has not completed the interrupt
    expect(codeOf(() => p.irq.forward(p.vm, p.gsi))).toBe('EAGAIN');
    expect(p.chip.hw.has(p.gsi)).toBe(false);
    p.deassert();
    p.chip.eoi(p.gsi); // completes on the resample path
    expect(p.vm.counters.get('resamplefdSignals')).toBe(1);
    p.irq.forward(p.vm, p.gsi);
    expect(p.irq.forwarded).toBe(true);
    expect(p.chip.hw.get(p.gsi)).toBe(p.line);
  });

  it('HOST-S12: unforward while active and still asserting → interrupts again through the non-forwarded path', () => {
    const p = platform({ irqfd: true });
    p.assert();
    expect(p.irq.triggers).toBe(1);
    expect(p.line.active).toBe(true);
    p.irq.unforward(); // the device still asserts
    expect(p.line.taken).toBe(2);
    expect(p.irq.triggers).toBe(2);
    expect(p.irq.masked).toBe(true);
    expect(p.line.depth).toBe(1);
    expect(p.line.active).toBe(false);
    // The guest completes the interrupt it holds; now that takes the resample path.
    p.deassert();
    p.chip.eoi(p.gsi);
    expect(p.vm.counters.get('resamplefdSignals')).toBe(1);
    expect(p.irq.masked).toBe(false);
    expect(p.line.depth).toBe(0);
  });

  it('HOST-S13: producer then consumer → forwarded; no resample round trips; unregister consumer → unforwarded', () => {
    const p = platform();
    const irqfd = p.vm.irqfds.assign({ eventfd: p.trigger, gsi: p.gsi, resamplefd: p.resamplefd });
    expect(p.irq.forwarded).toBe(true);
    for (let i = 0; i < 3; i++) {
      p.assert();
      p.deassert();
      p.chip.eoi(p.gsi);
    }
    expect(p.chip.deliveries[p.gsi]).toBe(3);
    expect(p.vm.counters.get('resamplefdSignals')).toBe(0);
    expect(p.vm.counters.get('ackNotifications')).toBe(0);
    expect(p.host.counters.get('vfioMasks')).toBe(0);
    expect(p.host.counters.get('vfioUnmasks')).toBe(0);
    p.vm.irqfds.deassign({ eventfd: irqfd.eventfd, gsi: p.gsi });
    expect(p.irq.forwarded).toBe(false);
    expect(p.calls.map((c) => c.op)).toEqual([
      'forward',
      'addProducer',
      'delProducer',
      'unforward',
    ]);
    p.assert(); // back to the masking handler
    expect(p.irq.masked).toBe(true);
    expect(p.host.counters.get('vfioMasks')).toBe(1);
  });
});
