import {
  checkRange,
  type GuestPort,
  IrqError,
  type LineConfig,
  type MsiConfig,
  type RoutingEntryBase,
} from '@irqkit/core';
import { guestEoi, guestMmioWrite, guestPioWrite } from './guest-access.js';
import { IOAPIC_REG_REDTBL, IoapicPin, Rte } from './ioapic/regs.js';
import { Spiv } from './lapic/regs.js';
import { composeMsi } from './msi/msi.js';
import type { Platform } from './platform.js';
import type { Vcpu } from './vcpu.js';

/** The GSIs `configure` accepts: the IOAPIC's pins (default routing GSI n → pin n). */
export const LINE_GSIS: readonly number[] = Object.freeze(
  Array.from({ length: IoapicPin.Count }, (_, i) => i),
);

/** One GSI's vector allocation (X86-8.1). */
interface Allocation {
  readonly vector: number;
  readonly klass: number;
}

/**
 * The x86 {@link GuestPort} (spec/x86.md §8): a guest OS driving IOAPIC redirection entries
 * and its local APICs. `configure` programs pin `gsi` (fixed, physical, to the target's APIC
 * ID, vector by priority class), `mask`/`unmask` rewrite the low half, `take` acknowledges
 * the highest deliverable vector, `eoi` writes the LAPIC EOI register. Register accesses go
 * through the guest MMIO path from vCPU 0, so they count their exits.
 */
export class X86GuestPort implements GuestPort {
  private readonly alloc = new Map<number, Allocation>();
  private readonly used = new Uint8Array(256);

  /** @param platform - the machine internals. */
  constructor(private readonly platform: Platform) {}

  /** X86-8.1: programs IOAPIC pin `gsi` (mask unchanged) and enables the target's APIC. */
  configure(gsi: number, config: LineConfig): void {
    this.lineGsi(gsi);
    const c = this.checkConfig(config, true);
    const p = this.platform;
    const target = p.vcpus[c.target]!;
    const dest = target.lapic.apicId;
    if (dest > 0xfe) {
      throw new IrqError(
        'EINVAL',
        `vCPU ${c.target} (APIC ID ${dest}) is not addressable by the IOAPIC`,
      );
    }
    const vector = this.allocate(gsi, c.priority);
    this.enableApic(target);
    const io = p.ioapic;
    const lo =
      (vector | (c.trigger === 'level' ? Rte.Level : 0) | (io.lo[gsi]! & Rte.Masked)) >>> 0;
    const bsp = p.vcpus[0]!;
    const base = io.baseAddress;
    guestMmioWrite(p, bsp, base, IOAPIC_REG_REDTBL + 2 * gsi + 1, 4);
    guestMmioWrite(p, bsp, base + 0x10, (dest << 24) >>> 0, 4);
    guestMmioWrite(p, bsp, base, IOAPIC_REG_REDTBL + 2 * gsi, 4);
    guestMmioWrite(p, bsp, base + 0x10, lo, 4);
  }

  /** X86-8.2: sets the mask bit (low-half write). */
  mask(gsi: number): void {
    this.setMask(gsi, true);
  }

  /** X86-8.2: clears the mask bit (low-half write; a latched level request is serviced, X86-2.7). */
  unmask(gsi: number): void {
    this.setMask(gsi, false);
  }

  /** X86-8.2: acknowledges the highest deliverable vector of `vcpu` (PIR synced first). */
  take(vcpu: number): number | null {
    const p = this.platform;
    // `index !== vcpu` also rejects non-numbers that index the array ('0').
    let v = p.vcpus[vcpu];
    if (v === undefined || v.index !== vcpu) v = this.vcpu(vcpu);
    // ExtINT first (kvm_cpu_get_interrupt): the PIC's output through LINT0 (X86-3.2a).
    if (p.pic !== null && this.extintPending(v)) return this.takeExtint(v);
    const r = v.take();
    return r < 0 ? null : r;
  }

  // The PIC's output is up and `v` takes it now (kept out of take: V8 inlines by size).
  private extintPending(v: Vcpu): boolean {
    const p = this.platform;
    return p.pic!.output && v.interruptible && v.mpState === 'runnable' && p.acceptsPicIntr(v);
  }

  // INTA on the PIC; the guest will complete it with OCW2 EOIs.
  private takeExtint(v: Vcpu): number {
    const p = this.platform;
    const [vector, irq] = p.pic!.readIrq();
    v.picTaken.push(vector, irq);
    if (p.trace.enabled === true) p.trace.emit({ type: 'take', vcpu: v.index, token: vector });
    return vector;
  }

  // A Linux-style PIC EOI: non-specific EOI to the slave (slave IRQs) and to the master; a
  // spurious IRQ 7 / 15 (ISR bit clear) is not EOI'd on its own chip.
  private picEoi(v: Vcpu, irq: number): void {
    const p = this.platform;
    const [master, slave] = p.pic!.pics;
    if (irq >= 8) {
      if ((slave.isr & (1 << (irq - 8))) !== 0) guestPioWrite(p, v, 0xa0, 0x20, 1);
      guestPioWrite(p, v, 0x20, 0x20, 1);
    } else if ((master.isr & (1 << irq)) !== 0) {
      guestPioWrite(p, v, 0x20, 0x20, 1);
    }
  }

  /**
   * X86-8.2: writes `vcpu`'s EOI register, which completes the highest ISR vector (the token
   * when the guest nests correctly). A guest that uses directed EOI (SPIV bit 12, version 0x20
   * IOAPIC) then also writes the IOAPIC's EOI register for a level vector, as Linux does.
   */
  eoi(vcpu: number, token: number): void {
    const p = this.platform;
    let v = p.vcpus[vcpu];
    if (v === undefined || v.index !== vcpu) v = this.vcpu(vcpu);
    // One test for an integer 0..255 (anything else, 256, 1.5, '7', fails it).
    if ((token & 0xff) !== token) checkRange('token', token, 0, 255);
    if (v.picTaken.length !== 0 && this.picEoiTaken(v, token)) return;
    const done = guestEoi(p, v);
    if (done >= 0 && (v.lapic.spiv & Spiv.DirectedEoi) !== 0) this.directedEoi(v, done);
  }

  // The token is the latest ExtINT acknowledge: the guest EOIs the PIC, not the LAPIC.
  private picEoiTaken(v: Vcpu, token: number): boolean {
    const taken = v.picTaken;
    if (taken[taken.length - 2] !== token) return false;
    const irq = taken.pop()!;
    taken.pop();
    this.picEoi(v, irq);
    return true;
  }

  // Directed EOI (SPIV bit 12): a version 0x20 IOAPIC also gets its EOI register written for
  // a level vector, as Linux does.
  private directedEoi(v: Vcpu, done: number): void {
    const p = this.platform;
    if (p.ioapic.version === 0x20 && v.lapic.tmr.test(done)) {
      guestMmioWrite(p, v, p.ioapic.baseAddress + 0x40, done, 4);
    }
  }

  /**
   * Routes `gsi` as a fixed, edge, physical MSI to `config.target` (what a guest programming
   * its device's MSI capability and its VMM do together), replacing the GSI's entries.
   */
  configureMsi(gsi: number, config: MsiConfig): void {
    checkRange('gsi', gsi, 0, 4095);
    const c = this.checkConfig(config, false);
    const p = this.platform;
    const target = p.vcpus[c.target]!;
    const dest = target.lapic.apicId;
    if (dest > 0xff && !p.opts.use32BitIds) {
      throw new IrqError(
        'EINVAL',
        `vCPU ${c.target} (APIC ID ${dest}) needs x2apicApi.use32BitIds`,
      );
    }
    const before = this.alloc.get(gsi);
    const vector = this.allocate(gsi, c.priority);
    const entries: RoutingEntryBase[] = p.vm.router.entries().filter((e) => e.gsi !== gsi);
    entries.push({ gsi, kind: 'msi', ...composeMsi({ dest, vector }) });
    try {
      p.vm.setGsiRouting(entries);
    } catch (e) {
      this.release(gsi);
      if (before !== undefined) this.claim(gsi, before);
      throw e;
    }
    this.enableApic(target);
  }

  /** The vector allocated to `gsi`, if any. */
  vectorOf(gsi: number): number | undefined {
    return this.alloc.get(gsi)?.vector;
  }

  /** Allocations, for snapshots: `[gsi, vector, class]`. */
  saveAllocations(): Array<[number, number, number]> {
    return [...this.alloc].map(([gsi, a]) => [gsi, a.vector, a.klass]);
  }

  /** Restores {@link X86GuestPort.saveAllocations}. */
  restoreAllocations(list: ReadonlyArray<readonly [number, number, number]>): void {
    this.alloc.clear();
    this.used.fill(0);
    for (const [gsi, vector, klass] of list) this.claim(gsi, { vector, klass });
  }

  private setMask(gsi: number, masked: boolean): void {
    this.lineGsi(gsi);
    const p = this.platform;
    const io = p.ioapic;
    const lo = masked ? io.lo[gsi]! | Rte.Masked : io.lo[gsi]! & ~Rte.Masked;
    const bsp = p.vcpus[0]!;
    guestMmioWrite(p, bsp, io.baseAddress, IOAPIC_REG_REDTBL + 2 * gsi, 4);
    guestMmioWrite(p, bsp, io.baseAddress + 0x10, lo >>> 0, 4);
  }

  // A booted guest has software-enabled the APICs it targets (SPIV bit 8, vector 0xFF).
  private enableApic(v: Vcpu): void {
    const a = v.lapic;
    if ((a.spiv & Spiv.ApicEnabled) !== 0) return;
    a.spiv = (a.spiv | Spiv.ApicEnabled) >>> 0;
    this.platform.apicChanged();
  }

  // X86-8.1: class c = 2 + priority; lowest free vector of the class, else the next class up
  // (to 0xE); a GSI keeps its vector while its class is unchanged; GSIs never share vectors.
  private allocate(gsi: number, priority: number): number {
    const klass = 2 + priority;
    const cur = this.alloc.get(gsi);
    if (cur !== undefined && cur.klass === klass) return cur.vector;
    for (let c = klass; c <= 0xe; c++) {
      for (let v = c * 16; v < c * 16 + 16; v++) {
        if (this.used[v] === 0 || cur?.vector === v) {
          this.release(gsi);
          this.claim(gsi, { vector: v, klass });
          return v;
        }
      }
    }
    throw new IrqError('ENOSPC', `no free vector in class 0x${klass.toString(16)} or above`);
  }

  private claim(gsi: number, a: Allocation): void {
    this.alloc.set(gsi, a);
    this.used[a.vector] = 1;
  }

  private release(gsi: number): void {
    const a = this.alloc.get(gsi);
    if (a === undefined) return;
    this.used[a.vector] = 0;
    this.alloc.delete(gsi);
  }

  private lineGsi(gsi: number): void {
    checkRange('gsi', gsi, 0, IoapicPin.Count - 1);
  }

  private vcpu(index: number): Vcpu {
    checkRange('vcpu', index, 0, this.platform.vcpus.length - 1);
    return this.platform.vcpus[index]!;
  }

  private checkConfig(
    config: LineConfig | MsiConfig,
    line: boolean,
  ): { trigger: 'edge' | 'level'; target: number; priority: number } {
    if (typeof config !== 'object' || config === null)
      throw new IrqError('EINVAL', 'config must be an object');
    checkRange('target', config.target, 0, this.platform.vcpus.length - 1);
    checkRange('priority', config.priority, 0, 11);
    const trigger = line ? (config as LineConfig).trigger : 'edge';
    if (trigger !== 'edge' && trigger !== 'level') {
      throw new IrqError('EINVAL', `trigger '${String(trigger)}' must be 'edge' or 'level'`);
    }
    return { trigger, target: config.target, priority: config.priority };
  }
}
