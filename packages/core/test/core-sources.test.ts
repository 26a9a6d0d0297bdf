import { describe, expect, it } from 'vitest';
import {
  EventFd,
  MAX_SOURCE_IDS,
  PIT_SOURCE_ID,
  RESAMPLER_SOURCE_ID,
  USERSPACE_SOURCE_ID,
} from '../src/index.js';
import { EDGE, expectIrqError, LEVEL, msiRoute, pinRoute, setup } from './core-fixtures.js';

describe('CORE §3 level lines and IRQ source ids', () => {
  it('CORE-3.1: a pin ORs its sources and the chip sees the OR on every call, even when unchanged', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(9, EDGE, 9)]);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 9, true);
    f.vm.setIrq(RESAMPLER_SOURCE_ID, 9, true);
    expect(f.vm.lineSources(EDGE, 9)).toEqual([0, 1]);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 9, false);
    expect(f.vm.lineSources(EDGE, 9)).toEqual([1]);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 9, false); // already clear: still a call
    f.vm.setIrq(63, 9, true);
    f.vm.setIrq(RESAMPLER_SOURCE_ID, 9, false);
    f.vm.setIrq(63, 9, false);
    expect(f.edge.callsFor(9).map((c) => c.level)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(f.vm.lineSources(EDGE, 9)).toEqual([]);
    // an edge chip sees one rising edge for the whole episode
    expect(f.edge.edges[9]).toBe(1);
  });

  it('CORE-3.1: up to 64 source ids per pin; an id outside 0..63 is refused and changes no pin', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(9, EDGE, 9), pinRoute(10, EDGE, 10)]);
    expect(MAX_SOURCE_IDS).toBe(64);
    f.vm.setIrq(32, 9, true);
    f.vm.setIrq(63, 9, true);
    expect(f.vm.lineSources(EDGE, 9)).toEqual([32, 63]);
    for (const bad of [64, 65, 96, -1, 1.5]) {
      expectIrqError(() => f.vm.setIrq(bad, 9, true), 'EINVAL');
    }
    expect(f.vm.lineSources(EDGE, 9)).toEqual([32, 63]);
    expect(f.vm.lineSources(EDGE, 10)).toEqual([]);
  });

  it('CORE-3.2: USERSPACE = 0 for irqLine and plain irqfds, RESAMPLER = 1 for every resampling irqfd on every GSI', () => {
    const f = setup();
    expect([USERSPACE_SOURCE_ID, RESAMPLER_SOURCE_ID, PIT_SOURCE_ID]).toEqual([0, 1, 2]);
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4), pinRoute(10, LEVEL, 10), pinRoute(11, LEVEL, 11)]);
    f.vm.irqLine({ gsi: 10, level: 1 });
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([USERSPACE_SOURCE_ID]);
    // a plain irqfd pulses with USERSPACE
    const seen: number[][] = [];
    f.edge.onSetLevel = (pin, level) => {
      if (level) seen.push(f.vm.lineSources(EDGE, pin));
    };
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal();
    f.sched.run();
    expect(seen).toEqual([[USERSPACE_SOURCE_ID]]);
    // resampling irqfds on two GSIs share RESAMPLER
    const e10 = new EventFd();
    const e11 = new EventFd();
    f.vm.irqfds.assign({ eventfd: e10, gsi: 10, resamplefd: new EventFd() });
    f.vm.irqfds.assign({ eventfd: e11, gsi: 11, resamplefd: new EventFd() });
    e10.signal();
    e11.signal();
    f.sched.run();
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([USERSPACE_SOURCE_ID, RESAMPLER_SOURCE_ID]);
    expect(f.vm.lineSources(LEVEL, 11)).toEqual([RESAMPLER_SOURCE_ID]);
  });

  it('CORE-3.2 (generic mechanism: reserveSourceId(2), as the x86 plugin does for its PIT)', () => {
    const f = setup();
    f.vm.reserveSourceId(PIT_SOURCE_ID);
    expect(f.vm.requestSourceId()).toBe(3);
    expectIrqError(() => f.vm.freeSourceId(PIT_SOURCE_ID), 'EINVAL');
    // the PIT can still drive its own bit
    f.vm.setGsiRouting([pinRoute(0, EDGE, 2)]);
    f.vm.setIrq(PIT_SOURCE_ID, 0, true);
    expect(f.vm.lineSources(EDGE, 2)).toEqual([PIT_SOURCE_ID]);
  });

  it('CORE-3.3: requestSourceId hands out the lowest free id in 2..63, then ENOSPC; 0 and 1 are never requested nor freed', () => {
    const f = setup();
    const got: number[] = [];
    for (let i = 0; i < 62; i++) got.push(f.vm.requestSourceId());
    expect(got).toEqual(Array.from({ length: 62 }, (_, i) => i + 2));
    expectIrqError(() => f.vm.requestSourceId(), 'ENOSPC');
    f.vm.freeSourceId(40);
    f.vm.freeSourceId(5);
    expect(f.vm.requestSourceId()).toBe(5);
    expect(f.vm.requestSourceId()).toBe(40);
    expectIrqError(() => f.vm.freeSourceId(USERSPACE_SOURCE_ID), 'EINVAL');
    expectIrqError(() => f.vm.freeSourceId(RESAMPLER_SOURCE_ID), 'EINVAL');
    expectIrqError(() => f.vm.freeSourceId(64), 'EINVAL');
    expectIrqError(() => f.vm.freeSourceId(-1), 'EINVAL');
    expectIrqError(() => f.vm.requestSourceId(), 'ENOSPC');
  });

  it('CORE-3.4: freeSourceId clears the id on every pin of every controller without calling the chips', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(3, EDGE, 3), pinRoute(11, LEVEL, 11), pinRoute(12, LEVEL, 12)]);
    const id = f.vm.requestSourceId();
    f.vm.setIrq(id, 3, true);
    f.vm.setIrq(id, 11, true);
    f.vm.setIrq(id, 12, true);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 12, true);
    const calls = f.edge.calls.length + f.level.calls.length;
    f.vm.freeSourceId(id);
    expect(f.edge.calls.length + f.level.calls.length).toBe(calls);
    expect(f.vm.lineSources(EDGE, 3)).toEqual([]);
    expect(f.vm.lineSources(LEVEL, 11)).toEqual([]);
    expect(f.vm.lineSources(LEVEL, 12)).toEqual([USERSPACE_SOURCE_ID]);
    // the level chip's latched request is untouched: the next EOI re-delivers once more
    expect(f.level.irr[11]).toBe(true);
    const before = f.level.deliveries[11]!;
    f.level.eoi(11);
    expect(f.level.deliveries[11]).toBe(before + 1);
    // the next set on the pin recomputes the line
    f.vm.setIrq(USERSPACE_SOURCE_ID, 11, false);
    expect(f.level.irr[11]).toBe(false);
    f.level.eoi(11);
    expect(f.level.deliveries[11]).toBe(before + 1);
  });

  it('CORE-3.4: with { redrive: true } every pin whose bitmap changed is re-driven with its new OR', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(3, EDGE, 3), pinRoute(11, LEVEL, 11), pinRoute(12, LEVEL, 12)]);
    const id = f.vm.requestSourceId();
    f.vm.setIrq(id, 11, true);
    f.vm.setIrq(id, 12, true);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 12, true);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 3, true); // not touched by the free
    f.log.length = 0;
    f.vm.freeSourceId(id, { redrive: true });
    expect(f.log).toEqual(['chip1.set(11,0)', 'chip1.set(12,1)']);
    expect(f.level.irr[11]).toBe(false);
    expect(f.level.irr[12]).toBe(true);
  });

  it('CORE-3.5: all non-resampling producers share USERSPACE — an irqfd pulse erases irqLine’s assertion', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    expect(f.vm.irqLine({ gsi: 10, level: 1 }, { withStatus: true })).toEqual({ status: 1 });
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 10 });
    e.signal();
    f.sched.run();
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([]);
    expect(f.level.irr[10]).toBe(false);
    f.level.eoi(10);
    expect(f.level.deliveries[10]).toBe(1); // nothing re-delivered
  });

  it('CORE-3.6: source ids are per pin, not per GSI', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, LEVEL, 5), pinRoute(6, LEVEL, 6), pinRoute(50, LEVEL, 5)]);
    f.vm.setIrq(7, 5, true);
    f.vm.setIrq(7, 6, true);
    f.vm.setIrq(7, 5, false);
    expect(f.vm.lineSources(LEVEL, 5)).toEqual([]);
    expect(f.vm.lineSources(LEVEL, 6)).toEqual([7]);
    // two GSIs on one pin share the pin's bit: GSI 50 clears what GSI 5 set
    f.vm.setIrq(7, 5, true);
    f.vm.setIrq(7, 50, false);
    expect(f.vm.lineSources(LEVEL, 5)).toEqual([]);
    // an MSI route keeps no line state at all
    f.vm.setGsiRouting([msiRoute(5, 1)]);
    f.vm.setIrq(7, 5, true);
    expect(f.vm.lineSources(LEVEL, 5)).toEqual([]);
  });
});
