import { IrqError } from '../errors.js';
import type { Vm } from '../machine/vm.js';
import type { HostIrqLine } from './host-irq-line.js';

/** Where a forwarded host line goes. */
export interface ForwardTarget {
  /** The VM. */
  readonly vm: Vm;
  /** The guest GSI whose deactivation deactivates the line. */
  readonly gsi: number;
}

/**
 * Forward control shared by the VFIO level-IRQ models (spec/host.md HOST-4.3, seeds 001/004):
 * on only while the physical IRQ is inactive and the VFIO IRQ unmasked (else EAGAIN); off at
 * any time, deactivating an active line so a still-asserted device interrupts again.
 */
export class LineForwarding {
  private current: ForwardTarget | null = null;

  /** @param line - the physical line. */
  constructor(private readonly line: HostIrqLine) {}

  /** The current target, or null when not forwarded. */
  get target(): ForwardTarget | null {
    return this.current;
  }

  /**
   * Forwards the line to `gsi` of `vm`. Forwarding the same pair again is a no-op.
   * @throws IrqError ENXIO if the arch cannot forward; EBUSY if the line is already forwarded
   * elsewhere (one forwarding per physical line); EAGAIN while the line is active or `masked`
   * (seed 001: "try again later"); whatever the arch hook throws. Nothing changes on failure.
   */
  forward(vm: Vm, gsi: number, masked: boolean): void {
    if (this.current !== null) {
      if (this.current.vm === vm && this.current.gsi === gsi) return;
      throw new IrqError('EBUSY', `host irq ${this.line.irq} is already forwarded`);
    }
    const hooks = vm.arch.forwarding;
    if (hooks === undefined)
      throw new IrqError('ENXIO', `${vm.arch.name} cannot forward host interrupts`);
    if (this.line.forwarded)
      throw new IrqError('EBUSY', `host irq ${this.line.irq} is forwarded by another user`);
    if (this.line.active) throw new IrqError('EAGAIN', `host irq ${this.line.irq} is active`);
    if (masked) throw new IrqError('EAGAIN', `host irq ${this.line.irq} is masked`);
    hooks.forward(this.line, gsi);
    this.current = { vm, gsi };
    this.line.setForwarded(true);
  }

  /** Stops forwarding; an active line is deactivated (nothing is lost). No-op when off. */
  unforward(): void {
    const t = this.current;
    if (t === null) return;
    t.vm.arch.forwarding?.unforward(this.line, t.gsi);
    this.current = null;
    this.line.setForwarded(false);
    this.line.deactivate();
  }
}
