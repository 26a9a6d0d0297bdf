import { describe, expect, it } from 'vitest';
import { Counters } from '../src/index.js';

describe('Counters', () => {
  it('an increment reaches every ancestor, by name, whatever order the names were defined in', () => {
    const machine = new Counters();
    machine.id('other');
    const vcpu = new Counters(machine);
    const sub = new Counters(vcpu);
    const id = sub.id('exits.kick');
    sub.add(id);
    sub.add(id, 2);
    sub.bump('wakeups');
    expect(sub.get('exits.kick')).toBe(3);
    expect(vcpu.get('exits.kick')).toBe(3);
    expect(machine.get('exits.kick')).toBe(3);
    expect(machine.get('wakeups')).toBe(1);
    expect(machine.get('other')).toBe(0);
    vcpu.bump('exits.kick');
    expect([sub.get('exits.kick'), vcpu.get('exits.kick'), machine.get('exits.kick')]).toEqual([
      3, 4, 4,
    ]);
  });
});
