/**
 * x86 benchmarks (group 'x86'): full interrupt cycles through the in-kernel IOAPIC, the irqfd
 * MSI fast path and VT-d posting, each ending with the guest's take and EOI; plus the memory of
 * a large machine and the cost of a full routing-table replace.
 */
import { EventFd, type RoutingEntryBase, USERSPACE_SOURCE_ID, VfioMsiDevice } from '@irqkit/core';
import { composeMsi, createX86Machine, type X86Machine } from '@irqkit/x86';
import { type Bench, heapUsed } from './harness.js';

function machine(options: Parameters<typeof createX86Machine>[0] = {}): X86Machine {
  // No PIC: the IOAPIC cases measure the IOAPIC path alone (GSI 5 / 10 have one entry).
  const m = createX86Machine({ vcpus: 4, pic: false, ...options });
  m.enableApics();
  return m;
}

function msiRoute(gsi: number, dest: number, vector: number): RoutingEntryBase {
  return { gsi, kind: 'msi', ...composeMsi({ dest, vector }) };
}

export const x86Benches: Bench[] = [
  {
    kind: 'cycles',
    group: 'x86',
    name: '(a) IOAPIC edge: assert → LAPIC IRR → take → EOI (+ de-assert)',
    target: 15e6,
    setup() {
      const m = machine();
      m.guest.configure(5, { trigger: 'edge', target: 0, priority: 3 });
      m.guest.unmask(5);
      const vm = m.vm;
      const g = m.guest;
      return () => {
        vm.setIrq(USERSPACE_SOURCE_ID, 5, true);
        vm.setIrq(USERSPACE_SOURCE_ID, 5, false);
        g.eoi(0, g.take(0)!);
      };
    },
  },
  {
    kind: 'cycles',
    group: 'x86',
    name: '(b) IOAPIC level: assert → take → de-assert → EOI broadcast (remote IRR cleared)',
    setup() {
      const m = machine();
      m.guest.configure(10, { trigger: 'level', target: 0, priority: 3 });
      m.guest.unmask(10);
      const vm = m.vm;
      const g = m.guest;
      return () => {
        vm.setIrq(USERSPACE_SOURCE_ID, 10, true);
        const v = g.take(0)!;
        vm.setIrq(USERSPACE_SOURCE_ID, 10, false);
        g.eoi(0, v);
      };
    },
  },
  {
    kind: 'cycles',
    group: 'x86',
    name: '(c) irqfd MSI: eventfd signal → fast path → LAPIC → take → EOI',
    target: 15e6,
    setup() {
      const m = machine();
      m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
      const fd = new EventFd();
      m.vm.irqfds.assign({ eventfd: fd, gsi: 40 });
      const g = m.guest;
      return () => {
        fd.signal();
        g.eoi(0, g.take(0)!);
      };
    },
  },
  {
    kind: 'cycles',
    group: 'x86',
    name: '(d) posted MSI (VT-d PI, vCPU in guest): device fires → PIR → vIRR → take → EOI',
    setup() {
      const m = machine({ apicv: true, devicePosting: true });
      m.vm.setGsiRouting([msiRoute(40, 0, 0x61)]);
      const fd = new EventFd();
      const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
      dev.setTrigger(0, fd);
      m.vm.irqfds.assign({ eventfd: fd, gsi: 40 });
      if (m.irte(dev.vectors[0]!.irq).mode !== 'posted') throw new Error('IRTE not posted');
      const g = m.guest;
      return () => {
        dev.fire(0);
        g.eoi(0, g.take(0)!);
      };
    },
  },
  {
    kind: 'once',
    group: 'x86',
    name: 'memory of a 1,024-vCPU machine (full irqchip)',
    run() {
      const keep: X86Machine[] = [];
      const before = heapUsed();
      for (let i = 0; i < 4; i++) keep.push(createX86Machine({ vcpus: 1024 }));
      const after = heapUsed();
      const bytes = (after - before) / keep.length;
      return { KiB: bytes / 1024, 'bytes/vCPU': bytes / 1024 };
    },
  },
  {
    kind: 'once',
    group: 'x86',
    name: '4,096-entry routing table replace (all MSI)',
    run() {
      const m = machine();
      const a = Array.from({ length: 4096 }, (_, g) => msiRoute(g, g & 3, 0x20 + (g % 0xd0)));
      const b = Array.from({ length: 4096 }, (_, g) => msiRoute(g, (g + 1) & 3, 0x20 + (g % 0xd0)));
      for (let i = 0; i < 5; i++) m.vm.setGsiRouting(i % 2 === 0 ? a : b);
      const n = 40;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) m.vm.setGsiRouting(i % 2 === 0 ? a : b);
      const ms = (performance.now() - t0) / n;
      return { 'ms/replace': ms, 'µs/entry': (ms * 1000) / 4096 };
    },
  },
];
