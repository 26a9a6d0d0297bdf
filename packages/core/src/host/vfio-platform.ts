import type { IrqBypassConsumer, IrqBypassProducer } from '../bypass/types.js';
import { ERRNO, IrqError } from '../errors.js';
import { EventFd } from '../eventfd.js';
import { Irqfd } from '../irqfd/irqfd.js';
import type { Vm } from '../machine/vm.js';
import { LineForwarding } from './forwarding.js';
import type { Host } from './host.js';
import type { HostIrqAction, HostIrqLine } from './host-irq-line.js';
import { VfioCounts } from './vfio-counts.js';
import { virqfd } from './virqfd.js';

/** Options of {@link VfioPlatformIrq}. */
export interface VfioPlatformIrqOptions {
  /** Signalled when the IRQ fires (the guest irqfd's eventfd). */
  readonly trigger: EventFd;
  /** Unmask eventfd (the guest irqfd's resamplefd); signalling it unmasks. */
  readonly unmask?: EventFd;
}

/**
 * A VFIO platform (non-PCI) level IRQ, e.g. an ARM SPI of a device tree device (spec/host.md
 * §4). Not forwarded: the handler disables the line and signals; the unmask eventfd re-enables
 * it (HOST-4.1). Forwarded: the handler only signals and the line stays active until the
 * guest deactivates the virtual IRQ (HOST-4.2).
 *
 * It is also an IRQ-bypass producer whose token is the trigger eventfd: pairing with a guest
 * irqfd forwards automatically, unpairing unforwards (HOST-4.4). If the IRQ cannot be forwarded
 * at pairing time (masked or active: EAGAIN) the pair stays on the eventfd/resample path and
 * forwarding is retried when the IRQ is next unmasked — the moment the guest has completed it.
 */
export class VfioPlatformIrq implements IrqBypassProducer {
  /** Bypass token (set by the manager). */
  token: object | null = null;
  /** Paired consumer (set by the manager). */
  consumer: IrqBypassConsumer | null = null;
  /** Host IRQ number. */
  irq: number;
  /** True while the VFIO IRQ is masked (by the handler or by the user). */
  masked = false;
  /** Times the trigger was signalled. */
  triggers = 0;
  private readonly forwarding: LineForwarding;
  private readonly action: HostIrqAction;
  private stopUnmask: (() => void) | null;
  // The paired irqfd whose forwarding got EAGAIN at pairing time and is retried on unmask.
  private retryFor: Irqfd | null = null;

  private readonly counts: VfioCounts;

  /**
   * Requests the line exclusive and registers the bypass producer (before the line can fire,
   * so that an already paired irqfd forwards from the first interrupt on).
   * @param host - the host kernel.
   * @param line - the physical line.
   * @param options - trigger and unmask eventfds.
   * @throws IrqError EINVAL if an eventfd is not an {@link EventFd}; EBUSY if the line already
   * has a handler (HOST-1.2). Nothing changes on failure.
   */
  constructor(
    private readonly host: Host,
    readonly line: HostIrqLine,
    private readonly options: VfioPlatformIrqOptions,
  ) {
    if (!(options.trigger instanceof EventFd)) {
      throw new IrqError('EINVAL', `host irq ${line.irq}: trigger is not an EventFd`);
    }
    if (options.unmask !== undefined && !(options.unmask instanceof EventFd)) {
      throw new IrqError('EINVAL', `host irq ${line.irq}: unmask is not an EventFd`);
    }
    if (line.handlers.length > 0) {
      throw new IrqError('EBUSY', `host irq ${line.irq} already has a handler`);
    }
    this.counts = new VfioCounts(host.counters);
    this.irq = line.irq;
    this.forwarding = new LineForwarding(line);
    try {
      host.bypass.registerProducer(this, options.trigger, line.irq);
    } catch {
      // VFIO logs and ignores bypass registration failures (CORE-7.6).
    }
    this.action = line.request('vfio-platform', () => this.handle(), { shared: false });
    line.owner = this;
    this.stopUnmask = virqfd(options.unmask, () => this.unmask());
  }

  /** True while forwarded to a guest. */
  get forwarded(): boolean {
    return this.forwarding.target !== null;
  }

  /** Masks the IRQ: disables the line (HOST-2.6 shape). */
  mask(): void {
    if (this.masked) return;
    this.masked = true;
    this.line.disable();
  }

  /**
   * Unmasks (user or unmask eventfd): re-enables the line if masked (HOST-4.1). A pairing that
   * could not forward yet forwards now, before the line can fire again (HOST-4.4).
   */
  unmask(): void {
    if (!this.masked) return;
    this.masked = false;
    this.counts.unmask();
    const retry = this.retryFor;
    if (retry !== null) {
      if (this.consumer !== retry) this.retryFor = null;
      else if (this.tryForward(retry) !== -ERRNO.EAGAIN) this.retryFor = null;
    }
    this.line.enable();
  }

  /**
   * Forwards to `gsi` of `vm` (HOST-4.3).
   * @throws IrqError EAGAIN while active or masked; ENXIO, EBUSY as {@link LineForwarding.forward}.
   */
  forward(vm: Vm, gsi: number): void {
    this.forwarding.forward(vm, gsi, this.masked);
  }

  /** Stops forwarding (HOST-4.3); a still-asserted device interrupts again, unforwarded. */
  unforward(): void {
    this.forwarding.unforward();
  }

  /** Releases the IRQ: frees the handler, unforwards, unregisters the producer. */
  release(): void {
    this.stopUnmask?.();
    this.stopUnmask = null;
    // Free first, so that unforwarding does not take a last interrupt through a dying handler.
    this.line.free(this.action);
    this.unforward();
    this.host.bypass.unregisterProducer(this);
    if (this.line.owner === this) this.line.owner = null;
  }

  /** Bypass producer: a guest irqfd with our trigger paired up; forward to it (HOST-4.4). */
  addConsumer(consumer: IrqBypassConsumer): number {
    if (!(consumer instanceof Irqfd)) return 0;
    const hooks = consumer.vm.arch.forwarding;
    // An arch that decides itself (ARM's `forwardSpis`, ARM-6.4) does it in its addProducer.
    if (hooks === undefined || hooks.pairing === 'arch') return 0;
    const r = this.tryForward(consumer);
    if (r !== -ERRNO.EAGAIN) return r;
    // Seed 001: "try again later". Stay paired on the eventfd path until the next unmask.
    this.retryFor = consumer;
    return 0;
  }

  /** Bypass producer: the irqfd went away; unforward (HOST-4.4). */
  delConsumer(): void {
    this.retryFor = null;
    this.unforward();
  }

  private tryForward(irqfd: Irqfd): number {
    try {
      this.forward(irqfd.vm, irqfd.gsi);
      return 0;
    } catch (e) {
      return e instanceof IrqError ? -e.errno : -ERRNO.EINVAL;
    }
  }

  private handle(): boolean {
    if (this.forwarded) {
      // HOST-4.2: priority drop only — the line stays active until the guest deactivates it.
      this.signal();
      return true;
    }
    // HOST-4.1 (vfio_automasked_irq_handler): a masked IRQ is not ours to claim.
    if (this.masked) return false;
    this.masked = true;
    this.line.disable();
    this.counts.mask();
    this.signal();
    return true;
  }

  private signal(): void {
    this.triggers++;
    this.options.trigger.signal();
  }
}
