import { describe, expect, it } from 'vitest';
import {
  Counters,
  EventFd,
  type IrqBypassConsumer,
  IrqBypassManager,
  type IrqBypassProducer,
  type IrqError,
  Trace,
} from '../src/index.js';
import { expectIrqError, msiRoute, recordingProducer, setup } from './core-fixtures.js';

type RecordingConsumer = Required<IrqBypassConsumer> & { addResult: number };

function recordingConsumer(log: string[], name = 'C', addResult = 0): RecordingConsumer {
  return {
    token: null,
    producer: null,
    addResult,
    addProducer() {
      log.push(`${name}.addProducer`);
      return this.addResult;
    },
    delProducer() {
      log.push(`${name}.delProducer`);
    },
    stop() {
      log.push(`${name}.stop`);
    },
    start() {
      log.push(`${name}.start`);
    },
  };
}

function manager(): IrqBypassManager {
  return new IrqBypassManager(new Counters(), new Trace());
}

const CONNECT = ['P.stop', 'C.stop', 'P.addConsumer', 'C.addProducer', 'C.start', 'P.start'];
const DISCONNECT = ['P.stop', 'C.stop', 'C.delProducer', 'P.delConsumer', 'C.start', 'P.start'];

describe('CORE §7.2 registration', () => {
  it('CORE-7.1: registerProducer records token and irq, refuses a registered producer (EINVAL) and a taken token (EBUSY)', () => {
    const m = manager();
    const T = new EventFd();
    const p = recordingProducer([]);
    m.registerProducer(p, T, 42);
    expect(p.token).toBe(T);
    expect(p.irq).toBe(42);
    expectIrqError(() => m.registerProducer(p, new EventFd(), 43), 'EINVAL');
    const p2 = recordingProducer([]);
    expectIrqError(() => m.registerProducer(p2, T, 44), 'EBUSY');
    expect(p2.token).toBeNull();
    expect(m.hasProducer(p2)).toBe(false);
    expect(p.token).toBe(T);
  });

  it('CORE-7.1: a failed connect removes the producer again and throws the callback’s error', () => {
    const m = manager();
    const T = new EventFd();
    const log: string[] = [];
    const c = recordingConsumer(log, 'C', -16);
    m.registerConsumer(c, T);
    const p = recordingProducer(log);
    expectIrqError(() => m.registerProducer(p, T, 42), 'EBUSY');
    expect(m.hasProducer(p)).toBe(false);
    expect(p.token).toBeNull();
    // the token is free again
    c.addResult = 0;
    const p2 = recordingProducer([]);
    m.registerProducer(p2, T, 43);
    expect(c.producer).toBe(p2);
  });

  it('CORE-7.2: registerConsumer refuses a registered consumer or one without addProducer/delProducer (EINVAL), a taken token (EBUSY)', () => {
    const m = manager();
    const T = new EventFd();
    const c = recordingConsumer([]);
    m.registerConsumer(c, T);
    expectIrqError(() => m.registerConsumer(c, new EventFd()), 'EINVAL');
    expectIrqError(() => m.registerConsumer(recordingConsumer([]), T), 'EBUSY');
    const noDel = { token: null, producer: null, addProducer: () => 0 };
    expectIrqError(
      () => m.registerConsumer(noDel as unknown as IrqBypassConsumer, new EventFd()),
      'EINVAL',
    );
    const noAdd = { token: null, producer: null, delProducer: () => {} };
    expectIrqError(
      () => m.registerConsumer(noAdd as unknown as IrqBypassConsumer, new EventFd()),
      'EINVAL',
    );
    expect(m.hasConsumer(noDel as unknown as IrqBypassConsumer)).toBe(false);
  });

  it('CORE-7.3: unregistering an unregistered object is a silent no-op; the peer stays registered, unpaired, and pairs again', () => {
    const m = manager();
    const log: string[] = [];
    const T = new EventFd();
    const p = recordingProducer(log);
    const c = recordingConsumer(log);
    m.unregisterProducer(p);
    m.unregisterConsumer(c);
    expect(log).toEqual([]);
    m.registerProducer(p, T, 1);
    m.registerConsumer(c, T);
    log.length = 0;
    m.unregisterProducer(p);
    expect(log).toEqual(DISCONNECT);
    expect(p.token).toBeNull();
    expect(m.hasConsumer(c)).toBe(true);
    expect(c.producer).toBeNull();
    log.length = 0;
    m.unregisterProducer(p);
    expect(log).toEqual([]);
    const p2 = recordingProducer(log);
    m.registerProducer(p2, T, 2);
    expect(c.producer).toBe(p2);
    expect(p2.consumer).toBe(c);
  });

  it('CORE-7.3: pairing is strictly 1:1 — one producer and one consumer per token', () => {
    const m = manager();
    const T = new EventFd();
    const p = recordingProducer([]);
    const c = recordingConsumer([]);
    m.registerProducer(p, T, 1);
    m.registerConsumer(c, T);
    expectIrqError(() => m.registerConsumer(recordingConsumer([]), T), 'EBUSY');
    expectIrqError(() => m.registerProducer(recordingProducer([]), T, 2), 'EBUSY');
    expect(p.consumer).toBe(c);
    // equal-looking tokens are different tokens
    const other = recordingConsumer([]);
    m.registerConsumer(other, new EventFd());
    expect(other.producer).toBeNull();
  });
});

describe('CORE §7.3 connect and disconnect', () => {
  it('CORE-7.4: connect calls stop, stop, addConsumer, addProducer, start, start, then links both sides', () => {
    const m = manager();
    const log: string[] = [];
    const T = new EventFd();
    const p = recordingProducer(log);
    const c = recordingConsumer(log);
    let linkedDuringStart: unknown = 'unset';
    c.start = () => {
      log.push('C.start');
      linkedDuringStart = c.producer;
    };
    m.registerConsumer(c, T);
    m.registerProducer(p, T, 7);
    expect(log).toEqual(CONNECT);
    expect(linkedDuringStart).toBeNull(); // step 7 comes last
    expect(p.consumer).toBe(c);
    expect(c.producer).toBe(p);
  });

  it('CORE-7.4: a failing addConsumer skips addProducer; a failing addProducer rolls back with delConsumer; starts always run', () => {
    const m = manager();
    const log: string[] = [];
    const c = recordingConsumer(log);
    const T1 = new EventFd();
    m.registerConsumer(c, T1);
    expectIrqError(() => m.registerProducer(recordingProducer(log, 'P', -22), T1, 1), 'EINVAL');
    expect(log).toEqual(['P.stop', 'C.stop', 'P.addConsumer', 'C.start', 'P.start']);
    log.length = 0;
    c.addResult = -22;
    expectIrqError(() => m.registerProducer(recordingProducer(log), T1, 2), 'EINVAL');
    expect(log).toEqual([
      'P.stop',
      'C.stop',
      'P.addConsumer',
      'C.addProducer',
      'P.delConsumer',
      'C.start',
      'P.start',
    ]);
  });

  it('CORE-7.4: optional producer callbacks may be absent', () => {
    const m = manager();
    const log: string[] = [];
    const T = new EventFd();
    const bare: IrqBypassProducer = { token: null, consumer: null, irq: 0 };
    const c = recordingConsumer(log);
    m.registerProducer(bare, T, 3);
    m.registerConsumer(c, T);
    expect(log).toEqual(['C.stop', 'C.addProducer', 'C.start']);
    log.length = 0;
    m.unregisterConsumer(c);
    expect(log).toEqual(['C.stop', 'C.delProducer', 'C.start']);
  });

  it('CORE-7.5: disconnect calls stop, stop, delProducer, delConsumer, start, start, then unlinks — only for connected pairs', () => {
    const m = manager();
    const log: string[] = [];
    const T = new EventFd();
    const p = recordingProducer(log);
    const c = recordingConsumer(log);
    m.registerProducer(p, T, 1);
    m.registerConsumer(c, T);
    log.length = 0;
    m.unregisterConsumer(c);
    expect(log).toEqual(DISCONNECT);
    expect(p.consumer).toBeNull();
    expect(c.producer).toBeNull();
    expect(c.token).toBeNull();
    // an unpaired object leaves without del* calls
    log.length = 0;
    m.unregisterProducer(p);
    expect(log).toEqual([]);
  });

  it('CORE-7.6: a failed connect leaves neither side linked and the registering object unregistered; the peer is untouched', () => {
    const m = manager();
    const log: string[] = [];
    const T = new EventFd();
    const p = recordingProducer(log, 'P', -19);
    m.registerProducer(p, T, 1);
    const c = recordingConsumer(log);
    expectIrqError(() => m.registerConsumer(c, T), 'ENODEV');
    expect(m.hasConsumer(c)).toBe(false);
    expect(c.token).toBeNull();
    expect(c.producer).toBeNull();
    expect(m.hasProducer(p)).toBe(true);
    expect(p.token).toBe(T);
    expect(p.consumer).toBeNull();
  });

  it('CORE-7.6: KVM logs and ignores a failed consumer registration — the interrupt keeps flowing through the irqfd', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    f.host.bypass.registerProducer(recordingProducer([], 'P', -22), e, 100);
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(irqfd.producer).toBeNull();
    e.signal();
    expect(f.msi.atomic).toHaveLength(1);
  });
});

describe('CORE §7.4 locking and context', () => {
  it('CORE-7.7: a callback that re-enters the manager gets EBUSY and changes nothing; the outer call completes', () => {
    const m = manager();
    const T = new EventFd();
    const U = new EventFd();
    const log: string[] = [];
    const p = recordingProducer(log);
    const inner = recordingConsumer([], 'X');
    const innerP = recordingProducer([], 'Y');
    m.registerProducer(innerP, U, 9);
    const errors: string[] = [];
    p.addConsumer = () => {
      for (const attempt of [
        () => m.registerConsumer(inner, U),
        () => m.unregisterProducer(innerP),
        () => m.registerProducer(recordingProducer([]), new EventFd(), 1),
      ]) {
        try {
          attempt();
        } catch (e) {
          errors.push((e as IrqError).code);
        }
      }
      return 0;
    };
    const c = recordingConsumer(log);
    m.registerConsumer(c, T);
    m.registerProducer(p, T, 1);
    expect(errors).toEqual(['EBUSY', 'EBUSY', 'EBUSY']);
    expect(m.hasConsumer(inner)).toBe(false);
    expect(inner.token).toBeNull();
    expect(m.hasProducer(innerP)).toBe(true);
    expect(innerP.consumer).toBeNull();
    expect(c.producer).toBe(p);
    // the lock is released afterwards
    m.registerConsumer(inner, U);
    expect(inner.producer).toBe(innerP);
  });

  it('CORE-7.7: the lock is system-wide — VMs on one host share one manager', () => {
    const a = setup({ bypass: true });
    const b = setup({ bypass: true, host: a.host });
    expect(a.vm.host.bypass).toBe(b.vm.host.bypass);
    const e = new EventFd();
    const p = recordingProducer([]);
    a.host.bypass.registerProducer(p, e, 100);
    const irqfd = b.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(p.consumer).toBe(irqfd);
  });

  it('CORE-7.8: producer and consumer may register in either order with the same callback log', () => {
    for (const producerFirst of [true, false]) {
      const m = manager();
      const log: string[] = [];
      const T = new EventFd();
      const p = recordingProducer(log);
      const c = recordingConsumer(log);
      if (producerFirst) {
        m.registerProducer(p, T, 1);
        expect(log).toEqual([]);
        m.registerConsumer(c, T);
      } else {
        m.registerConsumer(c, T);
        expect(log).toEqual([]);
        m.registerProducer(p, T, 1);
      }
      expect(log).toEqual(CONNECT);
      expect(p.consumer).toBe(c);
    }
  });
});

describe('CORE §7.5 KVM as consumer', () => {
  it('CORE-7.9: the irqfd registers at the end of assign and unregisters before deassign returns; re-assign connects again', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    const p = recordingProducer(f.log);
    f.host.bypass.registerProducer(p, e, 100);
    f.log.length = 0;
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(f.log).toEqual([
      'P.stop',
      'arch.stop(gsi 40)',
      'P.addConsumer',
      'arch.addProducer(gsi 40, recorded=true)',
      'arch.start(gsi 40)',
      'P.start',
    ]);
    expect(irqfd.producer).toBe(p);
    f.log.length = 0;
    f.vm.irqfds.deassign({ eventfd: e, gsi: 40 });
    expect(f.log).toContain('arch.delProducer(gsi 40)');
    expect(irqfd.producer).toBeNull();
    expect(irqfd.token).toBeNull();
    const again = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(again.producer).toBe(p);
    expect(f.host.counters.get('bypassConnects')).toBe(2);
  });

  it('CORE-7.9: without arch bypass hooks an irqfd does not register as a consumer', () => {
    const f = setup();
    const e = new EventFd();
    const p = recordingProducer([]);
    f.host.bypass.registerProducer(p, e, 100);
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(f.host.bypass.hasConsumer(irqfd)).toBe(false);
    expect(p.consumer).toBeNull();
  });

  it('CORE-7.10: a failed arch addProducer leaves the irqfd without a producer and traces the deviation', () => {
    const f = setup({ bypass: true });
    f.bypass.addResult = -22;
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    const rec = f.vm.trace.record();
    const p = recordingProducer([]);
    expectIrqError(() => f.host.bypass.registerProducer(p, e, 100), 'EINVAL');
    rec.stop();
    expect(irqfd.producer).toBeNull();
    expect(p.consumer).toBeNull();
    expect(f.host.bypass.hasProducer(p)).toBe(false);
    expect(rec.events.some((ev) => ev.type === 'deviation' && ev.code === 'CORE-7.10')).toBe(true);
  });
});
