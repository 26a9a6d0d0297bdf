import {
  EventFd,
  type IrqBypassConsumer,
  type IrqBypassProducer,
  ROUTE_FLAG_VALID_DEVID,
} from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { composeMsi } from '../src/index.js';
import { errorCode, refFixture } from './fixture.js';

function recorder() {
  const log: string[] = [];
  const producer = (name: string): IrqBypassProducer => ({
    token: null,
    consumer: null,
    irq: 0,
    addConsumer: () => {
      log.push(`${name}.addConsumer`);
      return 0;
    },
    delConsumer: () => void log.push(`${name}.delConsumer`),
    stop: () => void log.push(`${name}.stop`),
    start: () => void log.push(`${name}.start`),
  });
  const consumer = (name: string, addResult = 0): IrqBypassConsumer => ({
    token: null,
    producer: null,
    addProducer: () => {
      log.push(`${name}.addProducer`);
      return addResult;
    },
    delProducer: () => void log.push(`${name}.delProducer`),
    stop: () => void log.push(`${name}.stop`),
    start: () => void log.push(`${name}.start`),
  });
  return { log, producer, consumer };
}

describe('CORE §10 IRQ bypass scenarios', () => {
  it('CORE-S39: connecting calls stop, add, add, start in order, whichever side registers first', () => {
    for (const first of ['consumer', 'producer'] as const) {
      const { host } = refFixture();
      const { log, producer, consumer } = recorder();
      const token = {};
      const p = producer('P');
      const c = consumer('C');
      if (first === 'consumer') {
        host.bypass.registerConsumer(c, token);
        host.bypass.registerProducer(p, token, 99);
      } else {
        host.bypass.registerProducer(p, token, 99);
        host.bypass.registerConsumer(c, token);
      }
      expect(log).toEqual([
        'P.stop',
        'C.stop',
        'P.addConsumer',
        'C.addProducer',
        'C.start',
        'P.start',
      ]);
      expect(p.consumer).toBe(c);
      expect(c.producer).toBe(p);
    }
  });

  it('CORE-S40: duplicate tokens are EBUSY; re-registering or a consumer without delProducer is EINVAL', () => {
    const { host } = refFixture();
    const { producer, consumer } = recorder();
    const token = {};
    const p = producer('P');
    host.bypass.registerProducer(p, token, 1);
    expect(errorCode(() => host.bypass.registerProducer(producer('P2'), token, 2))).toBe('EBUSY');
    host.bypass.registerConsumer(consumer('C'), token);
    expect(errorCode(() => host.bypass.registerConsumer(consumer('C2'), token))).toBe('EBUSY');
    expect(errorCode(() => host.bypass.registerProducer(p, {}, 1))).toBe('EINVAL');
    const broken = {
      token: null,
      producer: null,
      addProducer: () => 0,
    } as unknown as IrqBypassConsumer;
    expect(errorCode(() => host.bypass.registerConsumer(broken, {}))).toBe('EINVAL');
  });

  it('CORE-S41: a failing addProducer rolls back and leaves the producer unregistered', () => {
    const { host } = refFixture();
    const { log, producer, consumer } = recorder();
    const token = {};
    const c = consumer('C', -22);
    host.bypass.registerConsumer(c, token);
    const p = producer('P');
    expect(errorCode(() => host.bypass.registerProducer(p, token, 7))).toBe('EINVAL');
    expect(log).toEqual([
      'P.stop',
      'C.stop',
      'P.addConsumer',
      'C.addProducer',
      'P.delConsumer',
      'C.start',
      'P.start',
    ]);
    expect(p.token).toBeNull();
    expect(c.producer).toBeNull();
    expect(host.bypass.hasConsumer(c)).toBe(true);
    c.addProducer = () => 0;
    const p2 = producer('P2');
    host.bypass.registerProducer(p2, token, 8);
    expect(c.producer).toBe(p2);
  });

  it('CORE-S42: unregistering a connected producer disconnects in order; a second time is a no-op', () => {
    const { host } = refFixture();
    const { log, producer, consumer } = recorder();
    const token = {};
    const p = producer('P');
    const c = consumer('C');
    host.bypass.registerProducer(p, token, 1);
    host.bypass.registerConsumer(c, token);
    log.length = 0;
    host.bypass.unregisterProducer(p);
    expect(log).toEqual([
      'P.stop',
      'C.stop',
      'C.delProducer',
      'P.delConsumer',
      'C.start',
      'P.start',
    ]);
    expect(host.bypass.hasConsumer(c)).toBe(true);
    expect(c.producer).toBeNull();
    log.length = 0;
    host.bypass.unregisterProducer(p);
    expect(log).toEqual([]);
  });

  it('CORE-S43: the irqfd lifecycle drives the pairing with a VFIO-like producer', () => {
    const { vm, host } = refFixture();
    const { log, producer } = recorder();
    const e = new EventFd();
    const p = producer('P');
    host.bypass.registerProducer(p, e, 42);
    vm.irqfds.assign({ eventfd: e, gsi: 5 });
    expect(log.filter((l) => l === 'P.addConsumer')).toHaveLength(1);
    expect(p.consumer).not.toBeNull();
    vm.irqfds.deassign({ eventfd: e, gsi: 5 });
    expect(log.slice(-3)).toEqual(['P.stop', 'P.delConsumer', 'P.start']); // before deassign returned
    expect(p.consumer).toBeNull();
    vm.irqfds.assign({ eventfd: e, gsi: 5 });
    expect(log.filter((l) => l === 'P.addConsumer')).toHaveLength(2);
  });

  it('CORE-S44: signalMsi needs an irqchip, refuses unknown flags, and returns the delivery count', () => {
    const none = refFixture({ irqchip: false });
    expect(errorCode(() => none.vm.signalMsi({ ...composeMsi(0, 0x41) }))).toBe('EINVAL');
    const { vm } = refFixture();
    expect(errorCode(() => vm.signalMsi({ ...composeMsi(0, 0x41), flags: 2 }))).toBe('EINVAL');
    expect(vm.signalMsi({ ...composeMsi(0, 0x41), flags: ROUTE_FLAG_VALID_DEVID, devid: 3 })).toBe(
      1,
    );
  });

  it('CORE-S45: irqLine without an in-kernel irqchip is ENXIO', () => {
    const { vm } = refFixture({ irqchip: false });
    expect(errorCode(() => vm.irqLine({ gsi: 4, level: 1 }))).toBe('ENXIO');
  });
});
