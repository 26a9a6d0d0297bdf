import { EventFd, RESAMPLER_SOURCE_ID, USERSPACE_SOURCE_ID } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { drain, errorCode, program, refFixture } from './fixture.js';

describe('CORE §10 source id scenarios (reference plugin)', () => {
  it('CORE-S11: a level pin is the wired OR of its sources', () => {
    const { m, vm } = refFixture();
    program(m, 9, { vector: 0x59, trigger: 'level' });
    vm.setIrq(USERSPACE_SOURCE_ID, 9, true);
    vm.setIrq(RESAMPLER_SOURCE_ID, 9, true);
    vm.setIrq(USERSPACE_SOURCE_ID, 9, false);
    expect(vm.lineSources(0, 9)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(m.controllers[0]!.pin[9]!.input).toBe(true);
    expect(drain(m).slice(0, 2)).toEqual([0x59, 0x59]); // still high after the EOI: re-delivered
  });

  it('CORE-S12: a non-resampling irqfd pulse erases userspace’s assertion (shared USERSPACE id)', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 10, { vector: 0x5a, trigger: 'level' });
    vm.irqLine({ gsi: 10, level: 1 });
    expect(m.controllers[0]!.pin[10]!.remoteIrr).toBe(true);
    const fd = new EventFd();
    vm.irqfds.assign({ eventfd: fd, gsi: 10 });
    fd.signal();
    scheduler.run();
    expect(vm.lineSources(0, 10)).toEqual([]);
    expect(m.guest.take(0)).toBe(0x5a);
    m.guest.eoi(0, 0x5a);
    expect(m.guest.take(0)).toBeNull();
  });

  it('CORE-S13: the source id allocator hands out 2..63, then ENOSPC; ids 0/1 cannot be freed', () => {
    const { vm } = refFixture();
    const got = Array.from({ length: 62 }, () => vm.requestSourceId());
    expect(got).toEqual(Array.from({ length: 62 }, (_, i) => i + 2));
    expect(errorCode(() => vm.requestSourceId())).toBe('ENOSPC');
    vm.freeSourceId(5);
    expect(vm.requestSourceId()).toBe(5);
    expect(errorCode(() => vm.freeSourceId(0))).toBe('EINVAL');
  });

  it('CORE-S14: freeing a source clears bitmaps but not the controller’s latch, unless redrive', () => {
    const { m, vm } = refFixture();
    program(m, 11, { vector: 0x5b, trigger: 'level' });
    const src = vm.requestSourceId();
    vm.setIrq(src, 11, true);
    expect(m.guest.take(0)).toBe(0x5b);
    m.guest.eoi(0, 0x5b);
    expect(m.guest.take(0)).toBe(0x5b); // re-delivered, line still high
    vm.freeSourceId(src);
    expect(vm.lineSources(0, 11)).toEqual([]);
    expect(m.controllers[0]!.pin[11]!.irr).toBe(true);
    m.guest.eoi(0, 0x5b);
    expect(m.guest.take(0)).toBe(0x5b); // the latched request is delivered once more
    vm.setIrq(USERSPACE_SOURCE_ID, 11, false);
    expect(m.controllers[0]!.pin[11]!.irr).toBe(false);
    m.guest.eoi(0, 0x5b);
    expect(m.guest.take(0)).toBeNull();

    const again = vm.requestSourceId();
    vm.setIrq(again, 11, true);
    expect(m.guest.take(0)).toBe(0x5b);
    vm.freeSourceId(again, { redrive: true });
    expect(m.controllers[0]!.pin[11]!.irr).toBe(false);
    m.guest.eoi(0, 0x5b);
    expect(m.guest.take(0)).toBeNull();
  });
});
