import fc from 'fast-check';
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

describe('Counters: totals summed on read', () => {
  it('a parent reads its own increments plus every descendant, at any depth', () => {
    const machine = new Counters();
    const vcpus = [new Counters(machine), new Counters(machine)];
    const sub = new Counters(vcpus[1]!);
    vcpus[0]!.bump('exits.kick', 2);
    sub.bump('exits.kick', 5);
    machine.bump('exits.kick');
    expect(machine.get('exits.kick')).toBe(8);
    expect(vcpus[1]!.get('exits.kick')).toBe(5);
    expect(machine.snapshot()).toEqual({ 'exits.kick': 8 });
  });

  it('reset of a set zeroes its view only: the parent keeps what it counted, the children keep theirs', () => {
    const machine = new Counters();
    const vcpu = new Counters(machine);
    const sub = new Counters(vcpu);
    sub.bump('x', 3);
    vcpu.bump('x', 4);
    vcpu.reset();
    expect([machine.get('x'), vcpu.get('x'), sub.get('x')]).toEqual([7, 0, 3]);
    sub.bump('x');
    expect([machine.get('x'), vcpu.get('x'), sub.get('x')]).toEqual([8, 1, 4]);
    machine.reset();
    expect(machine.get('x')).toBe(0);
    vcpu.bump('x', 2);
    expect([machine.get('x'), vcpu.get('x'), sub.get('x')]).toEqual([2, 3, 4]);
    sub.reset();
    expect([machine.get('x'), vcpu.get('x'), sub.get('x')]).toEqual([2, 3, 0]);
  });

  it('property: any sequence of adds and resets reads as write-through totals would', () => {
    // The model: every add writes into the set and all its ancestors; reset zeroes one set.
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        set: fc.nat(3),
        name: fc.nat(2),
        n: fc.nat(5),
      }),
      fc.record({ kind: fc.constant('reset' as const), set: fc.nat(3) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const root = new Counters();
        const a = new Counters(root);
        const b = new Counters(root);
        const c = new Counters(a);
        const sets = [root, a, b, c];
        const parents = [-1, 0, 0, 1];
        const model = sets.map(() => new Map<string, number>());
        for (const o of ops) {
          if (o.kind === 'add') {
            const name = `n${o.name}`;
            sets[o.set]!.bump(name, o.n);
            for (let s = o.set; s >= 0; s = parents[s]!) {
              model[s]!.set(name, (model[s]!.get(name) ?? 0) + o.n);
            }
          } else {
            sets[o.set]!.reset();
            model[o.set]!.clear();
          }
        }
        sets.forEach((set, s) => {
          for (let k = 0; k < 3; k++) {
            expect(set.get(`n${k}`)).toBe(model[s]!.get(`n${k}`) ?? 0);
          }
        });
      }),
      { numRuns: 500 },
    );
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

  it('add counts the same and refuses undefined ids before, while and after a journal watches', () => {
    const c = new Counters();
    const id = c.id('x');
    const other = c.id('y');
    const journal = new CounterJournal();
    const phase = (): void => {
      expect(() => c.add(1000)).toThrow(RangeError);
      expect(() => c.add(-1)).toThrow(RangeError);
      c.add(id, 2);
      c.add(other);
    };
    phase();
    c.watch(id, journal, 3);
    phase();
    const late = c.id('late'); // defined while watched: still counted, not logged
    c.add(late, 5);
    c.unwatchAll();
    phase();
    c.add(late);
    expect([c.get('x'), c.get('y'), c.get('late')]).toEqual([6, 3, 6]);
    expect(Array.from(journal.tags.subarray(0, journal.length))).toEqual([3]);
    expect(Array.from(journal.amounts.subarray(0, journal.length))).toEqual([2]);
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
