import { describe, expect, it } from 'vitest';
import { createX86Machine } from '../src/index.js';

describe('smoke', () => {
  it('edge cycle', () => {
    const m = createX86Machine({ vcpus: 4 });
    m.enableApics();
    m.guest.configure(5, { trigger: 'edge', target: 1, priority: 3 });
    m.guest.unmask(5);
    expect(m.vm.irqLine({ gsi: 5, level: 1 }).status).toBe(1);
    expect(m.vm.irqLine({ gsi: 5, level: 0 }).status).toBe(1);
    const t = m.guest.take(1);
    expect(t).toBe(0x50);
    m.guest.eoi(1, t!);
    console.log(m.counters.snapshot());
  });
});
