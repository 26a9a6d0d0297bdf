import { readFileSync } from 'node:fs';
import { EventFd, type MsiRoutingEntry, PciDevice, VfioMsiDevice, VfioPciIntx } from '@irqkit/core';
import { composeMsi, createX86Machine } from '@irqkit/x86';
import { describe, expect, it } from 'vitest';

// The worked example of docs/arch/x86.md runs here (verbatim, minus its console.log), so the
// guide cannot drift from the API.
function example() {
  const m = createX86Machine({ vcpus: 4, pic: false, apicv: true, devicePosting: true });
  m.enableApics(); // what a booted guest has done (SPIV = 0x1FF)

  // INTx: the guest programs IOAPIC pin 10 (level, vCPU 1); VFIO masks the line on every
  // interrupt and unmasks it when the resamplefd is signalled.
  m.guest.configure(10, { trigger: 'level', target: 1, priority: 4 }); // vector 0x60
  m.guest.unmask(10);
  const nic = new PciDevice('nic', m.host.irqs.createLine(), true);
  const intx = new EventFd();
  const resample = new EventFd();
  new VfioPciIntx(m.host, nic, { trigger: intx, unmask: resample });
  m.vm.irqfds.assign({ eventfd: intx, gsi: 10, resamplefd: resample });

  // MSI-X: GSI 40 → vector 0x61 on vCPU 2 (KVM_SET_GSI_ROUTING keeps the IOAPIC routes).
  const msixRoute: MsiRoutingEntry = {
    gsi: 40,
    kind: 'msi',
    ...composeMsi({ dest: 2, vector: 0x61 }),
  };
  m.vm.setGsiRouting([...m.vm.router.entries(), msixRoute]);
  const msix = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
  const msixFd = new EventFd();
  msix.setTrigger(0, msixFd);
  m.vm.irqfds.assign({ eventfd: msixFd, gsi: 40 }); // pairs with the vector: IRTE posted
  const irte = m.irte(msix.vectors[0]!.irq); // { mode: 'posted', vcpu: 2, vector: 0x61 }

  // The NIC raises INTx: VFIO masks it and signals the irqfd, which asserts GSI 10 (RESAMPLER
  // source); the IOAPIC sends 0x60 to vCPU 1 (posted: APICv) and sets remote IRR.
  nic.assert();
  const v = m.guest.take(1); // 0x60
  nic.deassert(); // the guest's driver services the device
  if (v !== null) m.guest.eoi(1, v);
  // The EOI is intercepted (0x60 is in vCPU 1's ioapicHandled), reaches the IOAPIC, which
  // notifies the resampler: de-assert, signal the resamplefd → VFIO unmasks the NIC.

  // An MSI-X message while vCPU 2 runs is posted by the IOMMU: no host IRQ, no exit.
  msix.fire(0);
  const w = m.guest.take(2); // 0x61
  if (w !== null) m.guest.eoi(2, w); // not intercepted with APICv: no exit at all

  return { m, irte, v, w, nic };
}

describe('docs/arch/x86.md', () => {
  it('the worked example runs as written and does what its comments say', () => {
    const { m, irte, v, w, nic } = example();
    expect(irte).toEqual({ mode: 'posted', vcpu: 2, vector: 0x61 });
    expect([v, w]).toEqual([0x60, 0x61]);
    expect(m.counters.get('resamplefdSignals')).toBe(1);
    expect(m.counters.get('notifications')).toBe(2);
    expect(m.counters.get('exits.eoi')).toBe(1);
    expect(m.host.counters.get('hostIrqs')).toBe(1); // the NIC's INTx; the MSI-X was posted
    expect(nic.disIntx).toBe(false); // VFIO unmasked it after the resample
  });

  it('the example in the guide is the one tested here', () => {
    const doc = readFileSync(new URL('../../../docs/arch/x86.md', import.meta.url), 'utf8');
    const self = readFileSync(new URL(import.meta.url), 'utf8');
    const code = /```ts\n(.*?)```/gs.exec(doc.slice(doc.indexOf('## Worked example')))?.[1] ?? '';
    const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
    const body = code.slice(code.indexOf('\nconst ')); // imports are checked by the compiler
    for (const line of body.split('\n')) {
      if (line.trim() === '' || line.startsWith('console.log')) continue;
      expect(norm(self)).toContain(norm(line));
    }
  });
});
