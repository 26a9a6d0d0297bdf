import { type ConformancePlugin, describeConformance } from '@irqkit/conformance';
import { EventFd, Host, TestScheduler } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createX86Machine } from '../src/index.js';

/**
 * Every configuration runs the whole kit. x86 declares `maskedEdge: 'lost'`: X86-2.11 — and
 * KVM's `ioapic_set_irq` / `ioapic_write_indirect`, QEMU's IOAPIC (X86-2.19) and the 82093AA —
 * drop an edge that arrives on a masked pin, and CONF-03 checks exactly that.
 */

const plugins: ConformancePlugin[] = [
  { name: 'x86 full', create: (o) => createX86Machine({ ...o, irqchip: 'full' }) },
  {
    name: 'x86 full + apicv + devicePosting',
    create: (o) => createX86Machine({ ...o, irqchip: 'full', apicv: true, devicePosting: true }),
  },
  { name: 'x86 split', create: (o) => createX86Machine({ ...o, irqchip: 'split' }) },
];

for (const plugin of plugins) describeConformance({ describe, it }, plugin);

describe('conformance: x86 and CONF-03', () => {
  it('X86-2.11: an edge raised on a masked pin is lost, not delivered after unmask', () => {
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
