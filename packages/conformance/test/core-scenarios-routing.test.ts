import {
  type IrqChip,
  type MsiRoutingEntry,
  ROUTE_FLAG_VALID_DEVID,
  USERSPACE_SOURCE_ID,
} from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import {
  defaultTable,
  drain,
  errorCode,
  msiRoute,
  pinRoute,
  program,
  refFixture,
} from './fixture.js';

// spec/core.md §10 "Routing table", run on the reference plugin (controller 0 plays the IOAPIC).
describe('CORE §10 routing table scenarios (reference plugin)', () => {
  it('CORE-S1: an empty table routes nothing and changes no controller state', () => {
    const { m, vm, chip } = refFixture();
    for (let p = 0; p < 24; p++) program(m, p, { vector: 0x30 + p, trigger: 'edge' });
    vm.setGsiRouting([]);
    for (const g of [0, 5, 23, 100]) expect(vm.setIrq(USERSPACE_SOURCE_ID, g, true)).toBe(-1);
    expect(chip.pin.every((p) => !p.irr && !p.input)).toBe(true);
    expect(vm.lineSources(0, 5)).toEqual([]);
    expect(drain(m)).toEqual([]);
  });

  it('CORE-S2: fan-out across two controllers calls both; masked one reports -1, the other 1', () => {
    const { m, vm } = refFixture({ controllers: 2 });
    vm.setGsiRouting([pinRoute(5, 5, 0), pinRoute(5, 5, 1)]);
    program(m, 5, { vector: 0x35, trigger: 'edge', masked: true, chip: 0 });
    program(m, 5, { vector: 0x45, trigger: 'edge', chip: 1 });
    expect(vm.setIrq(USERSPACE_SOURCE_ID, 5, true)).toBe(1);
    expect(m.controllers[0]!.pin[5]!.irr).toBe(true); // saw the assertion although masked
    expect(drain(m)).toEqual([0x45]);
  });

  it('CORE-S3: two pins of one controller on one GSI are rejected; the old table stays', () => {
    const { vm } = refFixture();
    const before = vm.entriesFor(5);
    expect(
      errorCode(() => vm.setGsiRouting([...defaultTable(), pinRoute(5, 5), pinRoute(5, 6)])),
    ).toBe('EINVAL');
    expect(vm.entriesFor(5)).toEqual(before);
    expect(vm.gsiFor(0, 6)).toBe(6);
  });

  it('CORE-S4: MSI plus pin, or two MSIs, on one GSI are rejected; one MSI on two GSIs is fine', () => {
    const { vm } = refFixture();
    expect(errorCode(() => vm.setGsiRouting([msiRoute(30, 0, 0x41), pinRoute(30, 3)]))).toBe(
      'EINVAL',
    );
    expect(errorCode(() => vm.setGsiRouting([msiRoute(30, 0, 0x41), msiRoute(30, 1, 0x42)]))).toBe(
      'EINVAL',
    );
    vm.setGsiRouting([msiRoute(30, 0, 0x41), msiRoute(31, 0, 0x41)]);
    expect(vm.entriesFor(31)).toHaveLength(1);
  });

  it('CORE-S5: table limits: gsi 4096, 4097 entries and table flags are rejected; 4096 MSIs fit', () => {
    const { vm } = refFixture();
    expect(errorCode(() => vm.setGsiRouting([msiRoute(4096, 0, 0x41)]))).toBe('EINVAL');
    const many = Array.from({ length: 4097 }, (_, i) => msiRoute(i % 4096, 0, 0x41));
    expect(errorCode(() => vm.setGsiRouting(many))).toBe('EINVAL');
    expect(errorCode(() => vm.setGsiRouting([msiRoute(1, 0, 0x41)], 1))).toBe('EINVAL');
    vm.setGsiRouting(Array.from({ length: 4096 }, (_, g) => msiRoute(g, 0, 0x41)));
    expect(vm.entriesFor(4095)).toHaveLength(1);
  });

  it('CORE-S6: entry flags: VALID_DEVID only on MSI entries', () => {
    const { vm } = refFixture();
    const withDevid: MsiRoutingEntry = {
      ...msiRoute(40, 0, 0x41, ROUTE_FLAG_VALID_DEVID),
      devid: 7,
    };
    vm.setGsiRouting([withDevid]);
    expect(errorCode(() => vm.setGsiRouting([msiRoute(40, 0, 0x41, 2)]))).toBe('EINVAL');
    expect(
      errorCode(() => vm.setGsiRouting([{ ...pinRoute(5, 5), flags: ROUTE_FLAG_VALID_DEVID }])),
    ).toBe('EINVAL');
  });

  it('CORE-S7: a table with one bad entry changes nothing; the old MSI route still delivers', () => {
    const { m, vm } = refFixture();
    vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    expect(errorCode(() => vm.setGsiRouting([msiRoute(40, 1, 0x42), pinRoute(41, 99)]))).toBe(
      'EINVAL',
    );
    expect(vm.setIrq(USERSPACE_SOURCE_ID, 40, true)).toBe(1);
    expect(drain(m, 0)).toEqual([0x41]);
    expect(drain(m, 1)).toEqual([]);
  });

  it('CORE-S8: reverse map, last entry wins: only the later GSI’s notifier hears the EOI', () => {
    const { m, vm } = refFixture();
    vm.setGsiRouting([pinRoute(7, 7), pinRoute(50, 7)]);
    program(m, 7, { vector: 0x57, trigger: 'level' });
    const heard: number[] = [];
    vm.registerAckNotifier({ gsi: 7, onAck: () => heard.push(7) });
    vm.registerAckNotifier({ gsi: 50, onAck: () => heard.push(50) });
    expect(vm.gsiFor(0, 7)).toBe(50);
    vm.setIrq(USERSPACE_SOURCE_ID, 7, true);
    vm.setIrq(USERSPACE_SOURCE_ID, 7, false);
    expect(drain(m)).toEqual([0x57]);
    expect(heard).toEqual([50]);
    vm.setIrq(USERSPACE_SOURCE_ID, 50, true);
    expect(vm.lineSources(0, 7)).toEqual([USERSPACE_SOURCE_ID]); // GSI 50 drives pin 7 too
  });

  it('CORE-S9: fan-out results combine as kvm_set_irq does', () => {
    const { vm } = refFixture();
    const results: Record<number, number> = { 5: 0, 6: 0 };
    const fake = (id: number): IrqChip => ({ id, pins: 1, setLevel: () => results[id]! });
    vm.addChip(fake(5));
    vm.addChip(fake(6));
    vm.setGsiRouting([pinRoute(9, 0, 5), pinRoute(9, 0, 6)]);
    const cases: Array<[number, number, number]> = [
      [-1, -1, -1],
      [0, -1, 0],
      [-1, 0, 0],
      [1, 2, 3],
      [0, 1, 1],
    ];
    for (const [a, b, d] of cases) {
      results[5] = a;
      results[6] = b;
      expect(vm.setIrq(USERSPACE_SOURCE_ID, 9, true)).toBe(d);
    }
  });

  it('CORE-S10: irqLine on an unrouted GSI returns status -1 and does not throw', () => {
    const { vm } = refFixture();
    expect(vm.irqLine({ gsi: 200, level: 1 }, { withStatus: true })).toEqual({ status: -1 });
  });
});
