import type { Platform } from '../platform.js';
import { type I8259, PIC_MASTER_ID, type PicPair } from './pic.js';

/**
 * The PIC's I/O ports (X86-3.1) and what accesses do (`pic_ioport_write` / `_read`,
 * `elcr_ioport_*`). Only byte accesses are decoded; anything else is ignored (reads 0), as
 * KVM's `picdev_read` / `picdev_write` do. Guest accesses never throw.
 */

/** Port map: port → chip (0 master, 1 slave) and register. */
export const PIC_PORTS: ReadonlyMap<
  number,
  { readonly chip: 0 | 1; readonly reg: 'command' | 'data' | 'elcr' }
> = new Map([
  [0x20, { chip: 0, reg: 'command' }],
  [0x21, { chip: 0, reg: 'data' }],
  [0xa0, { chip: 1, reg: 'command' }],
  [0xa1, { chip: 1, reg: 'data' }],
  [0x4d0, { chip: 0, reg: 'elcr' }],
  [0x4d1, { chip: 1, reg: 'elcr' }],
] as const);

/** A byte write to PIC port `port`. */
export function picPortWrite(
  p: Platform,
  pair: PicPair,
  port: number,
  value: number,
  len: number,
): void {
  const row = PIC_PORTS.get(port);
  if (row === undefined || len !== 1) return;
  const s = pair.pics[row.chip];
  const val = (typeof value === 'number' && Number.isFinite(value) ? value : 0) & 0xff;
  if (row.reg === 'elcr') s.elcr = val & s.elcrMask;
  else if (row.reg === 'command') commandWrite(p, pair, s, val);
  else dataWrite(p, pair, s, val);
}

/** A byte read of PIC port `port`. */
export function picPortRead(pair: PicPair, port: number, len: number): number {
  const row = PIC_PORTS.get(port);
  if (row === undefined || len !== 1) return 0;
  const s = pair.pics[row.chip];
  if (row.reg === 'elcr') return s.elcr;
  if (s.poll !== 0) {
    s.poll = 0;
    return pollRead(pair, s, row.chip === 1);
  }
  if (row.reg === 'data') return s.imr;
  return s.readRegSelect !== 0 ? s.isr : s.irr;
}

// ICW1, OCW3 and OCW2 on the command port.
function commandWrite(p: Platform, pair: PicPair, s: I8259, val: number): void {
  if ((val & 0x10) !== 0) {
    // ICW1: start initialization. Edge requests are dropped; if a vCPU accepts PIC
    // interrupts, their in-service bits are completed (and acked) too.
    const edgeIrr = s.irr & ~s.elcr;
    s.init4 = val & 1;
    s.lastIrr = 0;
    s.irr &= s.elcr;
    s.imr = 0;
    s.priorityAdd = 0;
    s.specialMask = 0;
    s.readRegSelect = 0;
    if (s.init4 === 0) {
      s.specialFullyNestedMode = 0;
      s.autoEoi = 0;
    }
    s.initState = 1;
    if (p.vcpus.some((v) => p.acceptsPicIntr(v))) {
      for (let irq = 0; irq < 8; irq++) if ((edgeIrr & (1 << irq)) !== 0) pair.clearIsr(s, irq);
    }
    return;
  }
  if ((val & 0x08) !== 0) {
    // OCW3: poll, read-register select, special mask.
    if ((val & 0x04) !== 0) s.poll = 1;
    if ((val & 0x02) !== 0) s.readRegSelect = val & 1;
    if ((val & 0x40) !== 0) s.specialMask = (val >> 5) & 1;
    return;
  }
  // OCW2: EOIs and rotation (X86-3.3).
  const cmd = val >> 5;
  switch (cmd) {
    case 0:
    case 4:
      s.rotateOnAutoEoi = cmd >> 2;
      return;
    case 1:
    case 5: {
      const prio = s.priority(s.isr);
      if (prio === 8) return;
      const irq = (prio + s.priorityAdd) & 7;
      if (cmd === 5) s.priorityAdd = (irq + 1) & 7;
      pair.clearIsr(s, irq);
      pair.update();
      return;
    }
    case 3:
      pair.clearIsr(s, val & 7);
      pair.update();
      return;
    case 6:
      s.priorityAdd = (val + 1) & 7;
      pair.update();
      return;
    case 7: {
      const irq = val & 7;
      s.priorityAdd = (irq + 1) & 7;
      pair.clearIsr(s, irq);
      pair.update();
      return;
    }
    default:
      return; // no operation
  }
}

// The data port: IMR in operation, ICW2..ICW4 during initialization.
function dataWrite(p: Platform, pair: PicPair, s: I8259, val: number): void {
  switch (s.initState) {
    case 0: {
      const diff = s.imr ^ val;
      s.imr = val;
      for (let irq = 0; irq < 8; irq++) {
        if ((diff & (1 << irq)) !== 0) p.fireMaskNotifiers(s.id, irq, (val & (1 << irq)) !== 0);
      }
      pair.update();
      return;
    }
    case 1:
      s.irqBase = val & 0xf8;
      s.initState = 2;
      return;
    case 2:
      s.initState = s.init4 !== 0 ? 3 : 0;
      return;
    default:
      s.specialFullyNestedMode = (val >> 4) & 1;
      s.autoEoi = (val >> 1) & 1;
      s.initState = 0;
  }
}

// OCW3 poll mode: the read is an acknowledge plus EOI of the highest request.
function pollRead(pair: PicPair, s: I8259, slave: boolean): number {
  const ret = s.getIrq(s.id === PIC_MASTER_ID);
  if (ret < 0) {
    pair.update();
    return 0x07;
  }
  if (slave) {
    pair.pics[0].isr &= ~(1 << 2);
    pair.pics[0].irr &= ~(1 << 2);
  }
  s.irr &= ~(1 << ret);
  pair.clearIsr(s, ret);
  if (slave || ret !== 2) pair.update();
  return ret;
}
