import { type ConformancePlugin, describeConformance, scenarios } from '@irqkit/conformance';
import { EventFd, Host, TestScheduler } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createX86Machine } from '../src/index.js';

/**
 * Every configuration runs the whole kit except CONF-03 ("an edge raised while masked is
 * delivered once after unmask"): x86.md X86-2.11 — and KVM's `ioapic_set_irq` /
 * `ioapic_write_indirect`, and the 82093AA — lose an edge that arrives on a masked pin, so x86
 * cannot pass it. The test below shows the x86 behaviour instead.
 */
const only = scenarios.map((s) => s.id).filter((id) => id !== 'CONF-03');

const plugins: ConformancePlugin[] = [
  { name: 'x86 full', create: (o) => createX86Machine({ ...o, irqchip: 'full' }) },
  {
    name: 'x86 full + apicv + devicePosting',
    create: (o) => createX86Machine({ ...o, irqchip: 'full', apicv: true, devicePosting: true }),
  },
  { name: 'x86 split', create: (o) => createX86Machine({ ...o, irqchip: 'split' }) },
];

for (const plugin of plugins) describeConformance({ describe, it }, plugin, { only });

describe('conformance: x86 and CONF-03', () => {
  it('X86-2.11 (instead of CONF-03): an edge raised on a masked pin is lost, not delivered after unmask', () => {
    const sched = new TestScheduler();
    const m = createX86Machine({ vcpus: 1, host: new Host({ scheduler: sched }) });
    m.guest.configure(5, { trigger: 'edge', target: 0, priority: 4 });
    m.guest.mask(5);
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 5 });
    fd.signal();
    sched.run();
    expect(m.guest.take(0)).toBeNull();
    m.guest.unmask(5);
    sched.run();
    expect(m.guest.take(0)).toBeNull();
  });
});
