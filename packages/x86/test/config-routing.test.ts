import { IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createX86Machine, defaultRouting } from '../src/index.js';
import { line, mk, msi, msiRoute, program, rawMsiRoute } from './helpers.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    throw e;
  }
  return undefined;
}

describe('X86 §0 machine configuration', () => {
  it('X86-0.1: options that require others are refused with EINVAL at creation', () => {
    expect(code(() => createX86Machine({ ipiv: true }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ devicePosting: true }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ splitReservedRoutes: 8 }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ irqchip: 'full', splitReservedRoutes: 8 }))).toBe(
      'EINVAL',
    );
    // With their prerequisites they are fine.
    expect(createX86Machine({ apicv: true, ipiv: true, devicePosting: true }).options.ipiv).toBe(
      true,
    );
    expect(
      createX86Machine({ irqchip: 'split', splitReservedRoutes: 8 }).options.splitReservedRoutes,
    ).toBe(8);
  });

  it('X86-0.1: defaults follow the option table; vCPU i has x2APIC ID i and xAPIC ID i & 0xFF', () => {
    const m = createX86Machine();
    expect(m.vcpus).toBe(1);
    expect(m.options.irqchip).toBe('full');
    expect(m.options.ioapicVersion).toBe(0x11);
    expect(m.options.vectorHashing).toBe(true);
    expect(m.options.suppressEoiBroadcastQuirk).toBe(true);
    const s = createX86Machine({ irqchip: 'split', vcpus: 300 });
    expect(s.options.ioapicVersion).toBe(0x20);
    expect(s.options.userspaceIoapicEdge).toBe('qemu');
    expect(s.lapic(299).vcpuId).toBe(299);
    expect(s.lapic(299).xapicId).toBe(299 & 0xff);
  });

  it('X86-0.1: the issue alias ioapic kernel/userspace maps to irqchip full/split; a contradiction is EINVAL', () => {
    expect(createX86Machine({ ioapic: 'kernel' }).options.irqchip).toBe('full');
    expect(createX86Machine({ ioapic: 'userspace' }).options.irqchip).toBe('split');
    expect(code(() => createX86Machine({ ioapic: 'userspace', irqchip: 'full' }))).toBe('EINVAL');
  });

  it('X86-0.1: out-of-range and unknown options are EINVAL', () => {
    expect(code(() => createX86Machine({ vcpus: 0 }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ vcpus: 1.5 }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ vcpus: 5000 }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ irqchip: 'kernel' as never }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ ioapicVersion: 0x20 }))).toBe('EINVAL'); // full is 0x11
    expect(code(() => createX86Machine({ irqchip: 'split', ioapicVersion: 0x12 as never }))).toBe(
      'EINVAL',
    );
    expect(code(() => createX86Machine({ bogus: 1 } as never))).toBe('EINVAL');
    expect(code(() => createX86Machine({ x2apicApi: { use32bit: true } as never }))).toBe('EINVAL');
    expect(code(() => createX86Machine({ apicv: 'yes' as never }))).toBe('EINVAL');
  });
});

describe('X86 §1 routing specifics', () => {
  it('X86-1.1: irqchip entries: PIC pins < 8, IOAPIC pins < 24, chips 0..2 only', () => {
    const m = mk();
    const set = (chip: number, pin: number) =>
      code(() => m.vm.setGsiRouting([{ gsi: 1, kind: 'irqchip', chip, pin } as never]));
    expect(set(0, 7)).toBeUndefined();
    expect(set(1, 7)).toBeUndefined();
    expect(set(0, 8)).toBe('EINVAL');
    expect(set(1, 8)).toBe('EINVAL');
    expect(set(2, 23)).toBeUndefined();
    expect(set(2, 24)).toBe('EINVAL');
    expect(set(3, 0)).toBe('EINVAL');
  });

  it('X86-1.1: no irqchip entry at all on a split irqchip', () => {
    const m = createX86Machine({ irqchip: 'split' });
    expect(
      code(() => m.vm.setGsiRouting([{ gsi: 1, kind: 'irqchip', chip: 2, pin: 1 } as never])),
    ).toBe('EINVAL');
    expect(code(() => m.vm.setGsiRouting([msiRoute(1, 0, 0x30)]))).toBeUndefined();
  });

  it('X86-1.2: msi entries are not checked, except address_hi[7:0] with 32-bit ids; devid is ignored', () => {
    const m = mk();
    expect(
      code(() =>
        m.vm.setGsiRouting([rawMsiRoute(3, { addressLo: 0x1234, addressHi: 0xff, data: 0xffff })]),
      ),
    ).toBeUndefined();
    expect(
      code(() =>
        m.vm.setGsiRouting([rawMsiRoute(3, { ...msi(0, 0x40), flags: 1, devid: 0xabcd })]),
      ),
    ).toBeUndefined();
    expect(m.vm.setIrq(0, 3, true)).toBe(1);
    const x = mk({ x2apicApi: { use32BitIds: true } });
    expect(
      code(() => x.vm.setGsiRouting([rawMsiRoute(3, { ...msi(0, 0x40), addressHi: 0x101 })])),
    ).toBe('EINVAL');
    expect(
      code(() => x.vm.setGsiRouting([rawMsiRoute(3, { ...msi(0, 0x40), addressHi: 0x100 })])),
    ).toBeUndefined();
  });

  it('X86-1.3: the full irqchip installs GSI n → IOAPIC pin n, plus GSI n → PIC pin n mod 8 for n < 16', () => {
    const m = createX86Machine();
    const e = m.vm.router.entries() as unknown as Array<{ gsi: number; chip: number; pin: number }>;
    expect(e).toHaveLength(24 + 16);
    expect(e.filter((x) => x.gsi === 3)).toEqual([
      { gsi: 3, kind: 'irqchip', chip: 2, pin: 3 },
      { gsi: 3, kind: 'irqchip', chip: 0, pin: 3 },
    ]);
    expect(e.filter((x) => x.gsi === 12).map((x) => [x.chip, x.pin])).toEqual([
      [2, 12],
      [1, 4],
    ]);
    expect(e.filter((x) => x.gsi === 20).map((x) => [x.chip, x.pin])).toEqual([[2, 20]]);
    for (let n = 0; n < 24; n++) expect(m.vm.gsiFor(2, n)).toBe(n);
    expect(m.vm.gsiFor(1, 7)).toBe(15);
    expect(mk().vm.router.entries()).toEqual(defaultRouting(false));
    expect(m.vm.entriesFor(24)).toEqual([]);
  });

  it('X86-1.4: a split irqchip starts empty; userspace IOAPIC writes program one MSI route per pin at GSI = pin', () => {
    const m = createX86Machine({ irqchip: 'split', vcpus: 2 });
    m.enableApics();
    expect(m.vm.router.entries()).toEqual([]);
    program(m, 10, { vector: 0x5a, level: true, dest: 1 });
    const e = m.vm.entriesFor(10);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ kind: 'msi', addressLo: 0xfee01000, data: 0x805a });
    // Level routes below splitReservedRoutes make the vector EOI-intercepted on their destination.
    expect(m.lapic(1).ioapicHandled.test(0x5a)).toBe(true);
    expect(m.lapic(0).ioapicHandled.test(0x5a)).toBe(false);
  });

  it('X86-1.5: IOAPIC pins keep per-source bitmaps; MSI routes ignore the source id', () => {
    const m = mk();
    program(m, 9, { vector: 0x39, level: true });
    line(m, 9, 1, 0);
    line(m, 9, 1, 5);
    expect(m.vm.lineSources(2, 9)).toEqual([0, 5]);
    line(m, 9, 0, 0);
    expect(m.vm.lineSources(2, 9)).toEqual([5]);
    m.vm.setGsiRouting([...defaultRouting(), msiRoute(40, 1, 0x41)]);
    expect(m.vm.setIrq(7, 40, true)).toBe(1);
    expect(m.vm.setIrq(7, 40, false)).toBe(-1);
  });
});

describe('X86 §3 PIC option', () => {
  it('X86-3.4: the PIC may be omitted (pic: false): IOAPIC entries only, results are the IOAPIC’s alone', () => {
    const m = createX86Machine({ pic: false });
    expect(m.pic).toBeNull();
    expect(m.vm.router.entries().every((e) => (e as { chip?: number }).chip === 2)).toBe(true);
    expect(m.vm.setIrq(0, 3, true)).toBe(-1); // masked IOAPIC pin; no PIC to count
    expect(createX86Machine().pic).not.toBeNull(); // default for full
    expect(code(() => createX86Machine({ irqchip: 'split', pic: true }))).toBe('EINVAL');
    expect(createX86Machine({ irqchip: 'split' }).pic).toBeNull();
  });
});
