import { describe, expect, it } from 'vitest';
import {
  CallbackTask,
  EventFd,
  Host,
  ImmediateScheduler,
  RESAMPLER_SOURCE_ID,
  TestScheduler,
} from '../src/index.js';
import { EDGE, LEVEL, pinRoute, setup } from './core-fixtures.js';

describe('CORE §0.3 execution model', () => {
  it('CORE-0.4: scheduling an already-queued task is a no-op — N signals before the task runs give one injection', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4)]);
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal();
    e.signal();
    e.signal(3);
    expect(f.sched.pending()).toEqual([irqfd.injectTask]);
    expect(f.edge.edges[4]).toBe(0);
    f.sched.run();
    expect(f.edge.edges[4]).toBe(1);
    // once it has run, the next signal queues it again
    e.signal();
    expect(f.sched.size).toBe(1);
    f.sched.run();
    expect(f.edge.edges[4]).toBe(2);
  });

  it('CORE-0.4: a task that is running (no longer queued) can be queued again from inside itself', () => {
    const sched = new TestScheduler();
    let runs = 0;
    const task = new CallbackTask('inject', 'again', () => {
      runs++;
      if (runs === 1) expect(sched.schedule(task)).toBe(true);
    });
    sched.schedule(task);
    sched.run();
    expect(runs).toBe(2);
  });

  it('CORE-0.5: the default scheduler drains when the outermost operation returns, never inside it', () => {
    const f = setup({ immediate: true });
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4), pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    // a plain signal from outside any operation is injected by the time signal() returns
    e.signal();
    expect(f.edge.edges[4]).toBe(1);

    // an ack notifier that signals the irqfd: the injection waits for notifyAcked to return
    let seenInside: number | undefined;
    f.vm.registerAckNotifier({
      gsi: 10,
      onAck: () => {
        e.signal();
        seenInside = f.edge.edges[4];
      },
    });
    f.vm.setIrq(0, 10, true);
    f.level.eoi(10);
    expect(seenInside).toBe(1);
    expect(f.edge.edges[4]).toBe(2);
  });

  it('CORE-0.5: a task that triggers more deferred work does not run it re-entrantly', () => {
    const f = setup({ immediate: true });
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4), pinRoute(5, EDGE, 5)]);
    const e4 = new EventFd();
    const e5 = new EventFd();
    f.vm.irqfds.assign({ eventfd: e4, gsi: 4 });
    f.vm.irqfds.assign({ eventfd: e5, gsi: 5 });
    // while e4's inject task drives pin 4 high, the device behind e5 fires
    f.edge.onSetLevel = (pin, level) => {
      if (pin === 4 && level) e5.signal();
    };
    f.log.length = 0;
    e4.signal();
    // e4's pulse completes (1 then 0) before e5's task starts
    expect(f.log).toEqual(['chip0.set(4,1)', 'chip0.set(4,0)', 'chip0.set(5,1)', 'chip0.set(5,0)']);
  });

  it('CORE-0.5: the test scheduler runs tasks only on run() / runOne() / runTask()', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4), pinRoute(5, EDGE, 5)]);
    const e4 = new EventFd();
    const e5 = new EventFd();
    const i4 = f.vm.irqfds.assign({ eventfd: e4, gsi: 4 });
    const i5 = f.vm.irqfds.assign({ eventfd: e5, gsi: 5 });
    e4.signal();
    e5.signal();
    f.vm.irqLine({ gsi: 6, level: 1 }); // another operation does not drain
    expect(f.sched.pending()).toEqual([i4.injectTask, i5.injectTask]);
    expect(f.sched.runTask(i5.injectTask)).toBe(true);
    expect(f.edge.edges).toMatchObject({ 4: 0, 5: 1 });
    expect(f.sched.runOne()).toBe(true);
    expect(f.edge.edges).toMatchObject({ 4: 1, 5: 1 });
    expect(f.sched.runOne()).toBe(false);
    expect(f.sched.runTask(i4.injectTask)).toBe(false);
  });

  it('CORE-0.6: flush(kind) runs every queued task of that kind, including ones queued while flushing', () => {
    const sched = new TestScheduler();
    const ran: string[] = [];
    const owner = {};
    const other = {};
    const inject = new CallbackTask('inject', 'i', () => ran.push('i'), owner);
    const s2 = new CallbackTask('shutdown', 's2', () => ran.push('s2'), owner);
    const s1 = new CallbackTask(
      'shutdown',
      's1',
      () => {
        ran.push('s1');
        sched.schedule(s2);
        sched.schedule(inject);
      },
      owner,
    );
    const sOther = new CallbackTask('shutdown', 'sOther', () => ran.push('sOther'), other);
    sched.schedule(sOther);
    sched.schedule(s1);
    sched.flush('shutdown', owner);
    expect(ran).toEqual(['s1', 's2']);
    expect(sched.pending()).toEqual([sOther, inject]);
    sched.flush('shutdown');
    expect(ran).toEqual(['s1', 's2', 'sOther']);
    expect(sched.pending()).toEqual([inject]);
  });

  it('CORE-0.6: deassign performs the listed shutdown steps in order before returning (grace periods as ordering)', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    const r = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r });
    e.signal();
    f.log.length = 0;
    f.vm.irqfds.deassign({ eventfd: e, gsi: 10 });
    // inject flushed, then the notifier is unregistered, then the final de-assert
    expect(f.log).toEqual(['chip1.set(10,1)', 'arch.ackListUpdate', 'chip1.set(10,0)']);
    expect(f.sched.size).toBe(0);
    expect(f.vm.lineSources(LEVEL, 10)).not.toContain(RESAMPLER_SOURCE_ID);
  });

  it('CORE-0.5: a task that throws stops the drain; the rest stay queued and run on the next drain', () => {
    const s = new ImmediateScheduler();
    const ran: string[] = [];
    const a = new CallbackTask('inject', 'a', () => {
      ran.push('a');
      throw new Error('boom');
    });
    const b = new CallbackTask('inject', 'b', () => ran.push('b'));
    s.enter();
    s.schedule(a);
    s.schedule(b);
    expect(() => s.exit()).toThrow('boom');
    expect(ran).toEqual(['a']);
    expect(s.pending()).toEqual([b]);
    expect(a.queued).toBe(false);
    // the scheduler is not left busy: the next outermost operation drains b
    s.enter();
    s.exit();
    expect(ran).toEqual(['a', 'b']);
    expect(s.size).toBe(0);
  });

  it('CORE-0.4: the default Host uses the immediate scheduler', () => {
    expect(new Host().scheduler).toBeInstanceOf(ImmediateScheduler);
  });
});
