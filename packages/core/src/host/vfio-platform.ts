import type { IrqBypassConsumer, IrqBypassProducer } from '../bypass/types.js';
import { ERRNO, IrqError } from '../errors.js';
import type { EventFd } from '../eventfd.js';
import { Irqfd } from '../irqfd/irqfd.js';
import type { Vm } from '../machine/vm.js';
import { LineForwarding } from './forwarding.js';
import type { Host } from './host.js';
import type { HostIrqAction, HostIrqLine } from './host-irq-line.js';

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
 * irqfd forwards automatically, unpairing unforwards (HOST-4.4).
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
  private readonly stopUnmask: (() => void) | null;

  /**
   * @param host - the host kernel.
   * @param line - the physical line.
   * @param options - trigger and unmask eventfds.
   */
  constructor(
    private readonly host: Host,
    readonly line: HostIrqLine,
    private readonly options: VfioPlatformIrqOptions,
  ) {
    this.irq = line.irq;
    this.forwarding = new LineForwarding(line);
    this.action = line.request('vfio-platform', () => this.handle(), { shared: false });
    line.owner = this;
    this.stopUnmask =
      options.unmask?.listen((_fd, why) => {
        if (why === 'readable') {
          options.unmask?.read();
          this.unmask();
        }
      }) ?? null;
    try {
      host.bypass.registerProducer(this, options.trigger, line.irq);
    } catch {
      // VFIO logs and ignores bypass registration failures (CORE-7.6).
    }
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

  /** Unmasks (user or unmask eventfd): re-enables the line if masked (HOST-4.1). */
  unmask(): void {
    if (!this.masked) return;
    this.masked = false;
    this.host.counters.bump('vfioUnmasks');
    this.line.enable();
  }

  /** Forwards to `gsi` of `vm` (HOST-4.3). @throws IrqError EAGAIN while active or masked */
  forward(vm: Vm, gsi: number): void {
    this.forwarding.forward(vm, gsi, this.masked);
  }

  /** Stops forwarding (HOST-4.3). */
  unforward(): void {
    this.forwarding.unforward();
  }

  /** Releases the IRQ: unforwards, unregisters the producer, frees the handler. */
  release(): void {
    this.unforward();
    this.host.bypass.unregisterProducer(this);
    this.stopUnmask?.();
    this.line.free(this.action);
    if (this.line.owner === this) this.line.owner = null;
  }

  /** Bypass producer: a guest irqfd with our trigger paired up; forward to it (HOST-4.4). */
  addConsumer(consumer: IrqBypassConsumer): number {
    if (!(consumer instanceof Irqfd)) return 0;
    const hooks = consumer.vm.arch.forwarding;
    // An arch that decides itself (ARM's `forwardSpis`, ARM-6.4) does it in its addProducer.
    if (hooks === undefined || hooks.pairing === 'arch') return 0;
    try {
      this.forward(consumer.vm, consumer.gsi);
      return 0;
    } catch (e) {
      return e instanceof IrqError ? -e.errno : -ERRNO.EINVAL;
    }
  }

  /** Bypass producer: the irqfd went away; unforward (HOST-4.4). */
  delConsumer(): void {
    this.unforward();
  }

  private handle(): boolean {
    if (!this.forwarded) {
      this.masked = true;
      this.line.disable();
      this.host.counters.bump('vfioMasks');
    }
    this.triggers++;
    this.options.trigger.signal();
    return true;
  }
}
