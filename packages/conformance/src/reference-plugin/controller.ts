import {
  COALESCED,
  type Delivery,
  type HostIrqLine,
  IGNORED,
  type IrqChip,
  type Trigger,
  type Vm,
} from '@irqkit/core';
import { FIRST_VECTOR, type RefVcpuInterface } from './vcpu-interface.js';

/** One input pin's programming and state. */
export interface RefPin {
  /** Vector sent to the target (0 = unprogrammed). */
  vector: number;
  /** Trigger mode. */
  trigger: Trigger;
  /** Masked (the reset state). */
  masked: boolean;
  /** Target vCPU index. */
  target: number;
  /** Latched request: a rising edge not yet delivered, or the current level of a level pin. */
  irr: boolean;
  /** Level pins: delivered and not yet EOI'd (blocks re-delivery). */
  remoteIrr: boolean;
  /** The input as last driven (edge detection). */
  input: boolean;
  /** A forwarded host line, when the pin is hardware-mapped. */
  hw: HostIrqLine | null;
}

/**
 * The reference plugin's input controller: numbered pins, each programmed with a vector, a
 * trigger mode, a mask and a target vCPU — a minimal IOAPIC.
 *
 * - Edge pins latch a rising edge and deliver it when unmasked; a masked edge stays latched.
 * - Level pins deliver while the line is high, then hold `remoteIrr` until the guest's EOI,
 *   which notifies the core (ack notifiers → resampler) before it clears `remoteIrr`; a line
 *   still high after the EOI is delivered again.
 * - Unmasking a level pin whose request was latched while masked asks the core's resampler
 *   instead of delivering a possibly stale request (CORE-6.8).
 * - A hardware-mapped pin (forwarded host line) sends no ack notification: its EOI deactivates
 *   the host line, which interrupts again if the device still asserts (spec/host.md HOST-4.2).
 */
export class RefController implements IrqChip {
  /** Pin state, by pin number. */
  readonly pin: RefPin[];

  /**
   * @param id - controller id for `irqchip` routing entries.
   * @param pins - number of input pins.
   * @param vm - the VM (ack notifications, resampler).
   * @param cpus - the vCPU interfaces.
   */
  constructor(
    readonly id: number,
    readonly pins: number,
    private readonly vm: Vm,
    private readonly cpus: readonly RefVcpuInterface[],
  ) {
    this.pin = Array.from({ length: pins }, () => resetPin());
  }

  /** Drives `pin` (CORE-3.1: called with the OR of its sources on every change). */
  setLevel(pin: number, level: boolean): Delivery {
    const p = this.pin[pin]!;
    const rising = level && !p.input;
    p.input = level;
    if (p.trigger === 'edge') {
      if (!rising) return level ? COALESCED : 1;
      p.irr = true;
      return this.service(p);
    }
    p.irr = level;
    if (!level) return 1; // like KVM's IOAPIC, a de-assert reports 1 (CORE-0.2)
    if (p.remoteIrr) return IGNORED; // blocked by remote IRR until the EOI
    return this.service(p);
  }

  /** Writes a pin's programming (the guest's register write). Unmasking may deliver. */
  program(
    pin: number,
    cfg: Partial<Pick<RefPin, 'vector' | 'trigger' | 'masked' | 'target'>>,
  ): void {
    const p = this.pin[pin]!;
    const unmasking = p.masked && cfg.masked === false;
    if (cfg.vector !== undefined) p.vector = cfg.vector & 0xff;
    if (cfg.trigger !== undefined) p.trigger = cfg.trigger;
    if (cfg.target !== undefined) p.target = cfg.target;
    if (cfg.masked !== undefined) p.masked = cfg.masked;
    if (p.trigger === 'edge') p.remoteIrr = false;
    if (!unmasking || !p.irr) return;
    if (p.trigger === 'level' && this.vm.notifyResampler(this.id, pin)) {
      p.irr = false; // CORE-6.8: let the device re-assert instead of delivering a stale request
      return;
    }
    this.service(p);
  }

  /** The guest completed `vector` on some vCPU: every pin with that vector sees the EOI. */
  eoi(vector: number): void {
    for (let i = 0; i < this.pins; i++) {
      const p = this.pin[i]!;
      if (p.vector !== vector) continue;
      if (p.hw !== null) {
        // Forwarded: the guest's EOI deactivates the physical line; no ack notification.
        p.remoteIrr = false;
        p.irr = false;
        p.hw.deactivate();
        continue;
      }
      if (p.trigger === 'level' || this.vm.hasAckNotifier(this.id, i)) {
        this.vm.notifyAcked(this.id, i); // remote IRR still set: re-assertions are latched
      }
      p.remoteIrr = false;
      if (p.trigger === 'level' && p.irr && !p.masked) this.service(p);
    }
  }

  /** Back to the reset state (every pin masked, edge, vector 0). */
  reset(): void {
    for (let i = 0; i < this.pins; i++) this.pin[i] = resetPin();
  }

  private service(p: RefPin): Delivery {
    if (p.masked || p.vector < FIRST_VECTOR) return IGNORED;
    const cpu = this.cpus[p.target];
    if (cpu === undefined) return COALESCED; // no such vCPU: reached nobody
    const r = cpu.accept(p.vector);
    if (p.trigger === 'edge') p.irr = false;
    else p.remoteIrr = true;
    return r;
  }
}

function resetPin(): RefPin {
  return {
    vector: 0,
    trigger: 'edge',
    masked: true,
    target: 0,
    irr: false,
    remoteIrr: false,
    input: false,
    hw: null,
  };
}
