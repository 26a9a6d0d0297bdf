import { describe, expect, it } from 'vitest';
import { Counters } from '../src/index.js';

describe('Counters (obs)', () => {
  it('value(id) reads the slot that add(id) and bump(name) write, parents included', () => {
    const machine = new Counters();
    const vcpu = new Counters(machine);
    const kick = vcpu.id('exits.kick');
    expect(vcpu.value(kick)).toBe(0);
    vcpu.add(kick, 2);
    vcpu.bump('exits.kick');
    expect(vcpu.value(kick)).toBe(3);
    expect(machine.value(machine.id('exits.kick'))).toBe(3);
    vcpu.reset();
    expect(vcpu.value(kick)).toBe(0);
    expect(machine.get('exits.kick')).toBe(3);
  });

  it('value(id) survives growth of the slot array past its initial size', () => {
    const c = new Counters();
    const ids = Array.from({ length: 200 }, (_, i) => c.id(`n${i}`));
    c.add(ids[150]!, 7);
    expect(c.value(ids[150]!)).toBe(7);
    expect(c.value(ids[3]!)).toBe(0);
  });
});

describe('Counters.changes', () => {
  it('counts every increment of the set, its children included, and nothing else', () => {
    const machine = new Counters();
    const vcpu = new Counters(machine);
    const id = vcpu.id('exits.kick');
    expect([machine.changes, vcpu.changes]).toEqual([0, 0]);
    machine.id('schedTasks'); // defining is not a change
    vcpu.value(id);
    expect(machine.changes).toBe(0);
    vcpu.add(id, 3);
    machine.bump('schedTasks');
    expect([machine.changes, vcpu.changes]).toEqual([2, 1]);
    vcpu.reset();
    expect(vcpu.changes).toBe(1);
  });
});
