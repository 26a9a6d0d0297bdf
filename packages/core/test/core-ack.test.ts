import { describe, expect, it } from 'vitest';
import { type AckNotifier, EventFd, USERSPACE_SOURCE_ID } from '../src/index.js';
import { EDGE, LEVEL, pinRoute, setup } from './core-fixtures.js';

function notifier(gsi: number, log: string[], name: string): AckNotifier {
  return { gsi, onAck: () => log.push(name) };
}

describe('CORE §4 ack notifiers', () => {
  it('CORE-4.1: registration adds newest first, then calls postAckNotifierListUpdate', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const log: string[] = [];
    const n1 = notifier(10, log, 'n1');
    const n2 = notifier(10, log, 'n2');
    let hookSaw: boolean | null = null;
    f.arch.postAckNotifierListUpdate = () => {
      hookSaw = f.vm.hasAckNotifier(LEVEL, 10);
    };
    f.vm.registerAckNotifier(n1);
    expect(hookSaw).toBe(true); // the hook runs after the list changed
    f.vm.registerAckNotifier(n2);
    f.vm.notifyAcked(LEVEL, 10);
    expect(log).toEqual(['n2', 'n1']);
  });

  it('CORE-4.1: unregistration removes the notifier, then calls the hook; it is never called afterwards', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const log: string[] = [];
    const n1 = notifier(10, log, 'n1');
    f.vm.registerAckNotifier(n1);
    let hookSaw: boolean | null = null;
    f.arch.postAckNotifierListUpdate = () => {
      hookSaw = f.vm.hasAckNotifier(LEVEL, 10);
    };
    f.vm.unregisterAckNotifier(n1);
    expect(hookSaw).toBe(false);
    f.vm.notifyAcked(LEVEL, 10);
    f.vm.notifyAckedGsi(10);
    expect(log).toEqual([]);
  });

  it('CORE-4.2: notifyAcked maps (chip, pin) through the current reverse map and calls matching notifiers in list order', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(7, LEVEL, 7), pinRoute(50, LEVEL, 7), pinRoute(8, LEVEL, 8)]);
    const log: string[] = [];
    f.vm.registerAckNotifier(notifier(7, log, 'n7'));
    f.vm.registerAckNotifier(notifier(50, log, 'n50'));
    f.vm.registerAckNotifier(notifier(8, log, 'n8'));
    f.vm.notifyAcked(LEVEL, 7);
    expect(log).toEqual(['n50']); // reverse map: last entry wins
    log.length = 0;
    f.vm.setGsiRouting([pinRoute(7, LEVEL, 7)]);
    f.vm.notifyAcked(LEVEL, 7);
    f.vm.notifyAcked(LEVEL, 8); // now unmapped: nothing happens
    f.vm.notifyAcked(EDGE, 7);
    expect(log).toEqual(['n7']);
    log.length = 0;
    f.vm.notifyAckedGsi(8); // skips the mapping
    expect(log).toEqual(['n8']);
  });

  it('CORE-4.2: notifications are synchronous and counted', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const log: string[] = [];
    f.vm.registerAckNotifier(notifier(10, log, 'n'));
    const before = f.vm.counters.get('ackNotifications');
    f.vm.notifyAcked(LEVEL, 10);
    expect(log).toEqual(['n']);
    f.vm.notifyAcked(LEVEL, 11); // unmapped
    expect(f.vm.counters.get('ackNotifications')).toBe(before + 1);
  });

  it('CORE-4.3 (generic part): a notifier may re-enter setIrq on the same GSI while remote IRR is still set', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const results: number[] = [];
    let reassert = true;
    f.vm.registerAckNotifier({
      gsi: 10,
      onAck: () => {
        f.vm.setIrq(USERSPACE_SOURCE_ID, 10, false);
        if (reassert) results.push(f.vm.setIrq(USERSPACE_SOURCE_ID, 10, true));
      },
    });
    f.vm.setIrq(USERSPACE_SOURCE_ID, 10, true);
    expect(f.level.deliveries[10]).toBe(1);
    f.level.eoi(10);
    // latched during the callback (-1), serviced once the EOI completed
    expect(results).toEqual([-1]);
    expect(f.level.deliveries[10]).toBe(2);
    reassert = false;
    f.level.eoi(10);
    expect(f.level.deliveries[10]).toBe(2);
    expect(f.level.remoteIrr[10]).toBe(false);
  });

  it('CORE-4.3 (generic part): a notifier registered from inside a notification is not called by that walk', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const log: string[] = [];
    const late = notifier(10, log, 'late');
    const victim = notifier(10, log, 'victim');
    f.vm.registerAckNotifier(victim);
    f.vm.registerAckNotifier({
      gsi: 10,
      onAck: () => {
        log.push('first');
        f.vm.registerAckNotifier(late);
      },
    });
    f.vm.notifyAcked(LEVEL, 10);
    expect(log).toEqual(['first', 'victim']);
  });

  it('CORE-4.4: hasAckNotifier(chip, pin) is "some notifier listens on gsiFor(chip, pin)" and follows the routing', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    f.vm.registerAckNotifier(notifier(10, [], 'n'));
    expect(f.vm.hasAckNotifier(LEVEL, 10)).toBe(true);
    expect(f.vm.hasAckNotifier(LEVEL, 11)).toBe(false);
    expect(f.vm.hasAckNotifier(EDGE, 10)).toBe(false);
    f.vm.setGsiRouting([pinRoute(10, EDGE, 3)]);
    expect(f.vm.hasAckNotifier(LEVEL, 10)).toBe(false);
    expect(f.vm.hasAckNotifier(EDGE, 3)).toBe(true);
  });

  it('CORE-4.5: several notifiers on one GSI are all called, the resampler among them', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(0, LEVEL, 2)]);
    const log: string[] = [];
    const r = new EventFd();
    r.listen(() => log.push('resamplefd'));
    f.vm.registerAckNotifier(notifier(0, log, 'pit'));
    f.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 0, resamplefd: r });
    f.vm.registerAckNotifier(notifier(0, log, 'other'));
    f.vm.notifyAcked(LEVEL, 2);
    expect(log).toEqual(['other', 'resamplefd', 'pit']);
  });
});
