import { describe, expect, it } from 'vitest';
import { CounterJournal, Counters } from '../src/index.js';

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

describe('Counters.watch (a journal of watched increments)', () => {
  it('logs direct increments of watched slots with their tag and amount, in order', () => {
    const machine = new Counters();
    const vcpu = new Counters(machine);
    const journal = new CounterJournal();
    const kick = vcpu.id('exits.kick');
    const eoi = vcpu.id('exits.eoi');
    const other = vcpu.id('lrFlushes');
    vcpu.watch(kick, journal, 7);
    vcpu.watch(eoi, journal, 0);
    vcpu.add(kick);
    vcpu.add(other, 5);
    vcpu.add(eoi, 2);
    vcpu.bump('exits.kick', 3);
    expect(journal.length).toBe(3);
    expect(Array.from(journal.tags.subarray(0, 3))).toEqual([7, 0, 7]);
    expect(Array.from(journal.amounts.subarray(0, 3))).toEqual([1, 2, 3]);
    journal.clear();
    expect(journal.length).toBe(0);
    vcpu.add(other);
    expect(journal.length).toBe(0);
  });

  it('a parent logs only what is counted on it directly, not what its children add', () => {
    const machine = new Counters();
    const vcpu = new Counters(machine);
    const journal = new CounterJournal();
    const vKick = vcpu.id('exits.kick');
    machine.watch(machine.id('exits.kick'), journal, 1);
    vcpu.watch(vKick, journal, 2);
    vcpu.add(vKick);
    machine.bump('exits.kick');
    expect(Array.from(journal.tags.subarray(0, journal.length))).toEqual([2, 1]);
    expect(machine.get('exits.kick')).toBe(2);
  });

  it('grows past its initial capacity; watching slots defined after growth works', () => {
    const c = new Counters();
    const journal = new CounterJournal();
    const ids = Array.from({ length: 100 }, (_, i) => c.id(`n${i}`));
    c.watch(ids[99]!, journal, 5);
    for (let i = 0; i < 1000; i++) c.add(ids[99]!, 1);
    expect(journal.length).toBe(1000);
    const late = c.id('late');
    c.watch(late, journal, 6);
    c.add(late, 4);
    expect(journal.tags[1000]).toBe(6);
    expect(journal.amounts[1000]).toBe(4);
  });

  it('refuses undefined ids, bad tags and a second journal, changing nothing', () => {
    const c = new Counters();
    const a = new CounterJournal();
    const id = c.id('x');
    expect(() => c.watch(id + 1, a, 0)).toThrow(RangeError);
    expect(() => c.watch(id, a, -1)).toThrow(RangeError);
    c.watch(id, a, 0);
    expect(() => c.watch(id, new CounterJournal(), 1)).toThrow(/another journal/);
    c.add(id);
    expect(a.length).toBe(1);
    c.unwatchAll();
    c.add(id);
    expect(a.length).toBe(1);
    c.watch(id, new CounterJournal(), 0); // free again after unwatchAll
  });
});
