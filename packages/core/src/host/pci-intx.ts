import { IrqError } from '../errors.js';
import { EventFd } from '../eventfd.js';
import type { Vm } from '../machine/vm.js';
import { LineForwarding } from './forwarding.js';
import type { Host } from './host.js';
import type { HostIrqAction, HostIrqLine } from './host-irq-line.js';
import { VfioCounts } from './vfio-counts.js';
import { virqfd } from './virqfd.js';

/**
 * A PCI function's legacy interrupt output (spec/host.md HOST-2.1). With PCI 2.3 masking the
 * `DisINTx` command bit forces the output low while `InterruptStatus` still shows whether the
 * device wants service.
 */
export class PciDevice {
  /** `InterruptStatus`: the device wants service. */
  interruptStatus = false;
  /** `DisINTx`: the output is forced low (PCI 2.3 masking). */
  disIntx = false;

  /**
   * @param name - for traces and errors.
   * @param line - the physical line the INTx pin is wired to.
   * @param pci23 - the device supports PCI 2.3 INTx masking.
   */
  constructor(
    readonly name: string,
    readonly line: HostIrqLine,
    readonly pci23: boolean,
  ) {}

  /** The device raises its interrupt (wants service). */
  assert(): void {
    this.interruptStatus = true;
    this.drive();
  }

  /** The device was serviced and drops its interrupt. */
  deassert(): void {
    this.interruptStatus = false;
    this.drive();
  }

  /** Sets `DisINTx` (only meaningful with PCI 2.3 masking). */
  setDisIntx(on: boolean): void {
    this.disIntx = on && this.pci23;
    this.drive();
  }

  /** What the device drives onto the line. */
  get output(): boolean {
    return this.interruptStatus && !this.disIntx;
  }

  private drive(): void {
    this.line.setOutput(this, this.output);
  }
}

/** Options of {@link VfioPciIntx}. */
export interface VfioPciIntxOptions {
  /** Signalled when the device interrupts (the guest irqfd's eventfd). */
  readonly trigger: EventFd;
  /** Unmask eventfd, normally the guest irqfd's resamplefd (HOST-2.5). */
  readonly unmask?: EventFd;
  /** Treat the device as lacking 2.3 masking (VFIO's `nointxmask`). */
  readonly nointxmask?: boolean;
  /**
   * Direct EOI (seed 002, HOST-2.7): while the line is forwarded ({@link VfioPciIntx.forward}),
   * signal without masking and leave the line active until the guest's deactivation.
   * `'fallback'` uses the masking handler instead of failing when the line would be shared.
   */
  readonly directEoi?: boolean | 'fallback';
  /** Test-only: allow direct EOI on a shared request, to show why it is refused (HOST-S8). */
  readonly unsafeForceDirectEoi?: boolean;
}

// A PCI function has one INTx context in VFIO: a second request for the same device is refused.
const claimed = new WeakSet<PciDevice>();

/**
 * VFIO's INTx handling for one PCI device (spec/host.md §2): the handler masks the device
 * (PCI 2.3: `DisINTx`; otherwise the whole, exclusive, line) and signals the trigger eventfd;
 * an unmask — normally the guest's resamplefd — lifts the mask, re-signalling at once if the
 * device still asserts.
 *
 * Direct EOI (HOST-2.7) is engaged only while the line is forwarded to a guest: the handler
 * then signals without masking and the line stays active until the guest's deactivation
 * reaches it through the arch's forwarding hook. Unforwarded, nothing could ever deactivate a
 * held line, so the masking handler runs instead (HOST-4.3: "the non-forwarded path").
 */
export class VfioPciIntx {
  /** True while VFIO holds the device masked. */
  masked = false;
  /** Whether direct EOI was granted (exclusive request, or the test-only override). */
  readonly directEoi: boolean;
  /** Whether the line was requested shared. */
  readonly shared: boolean;
  /** Times the trigger was signalled. */
  triggers = 0;
  private readonly action: HostIrqAction;
  private stopUnmask: (() => void) | null;
  private readonly forwarding: LineForwarding;
  private readonly maskWithDisIntx: boolean;

  private readonly counts: VfioCounts;

  /**
   * Requests the device's line (HOST-2.2).
   * @throws IrqError EINVAL if `trigger` or `unmask` is not an {@link EventFd}; EBUSY if the
   * device already has a VFIO INTx, the line cannot be requested as needed (HOST-1.2), or
   * direct EOI is asked for on a shared request without `'fallback'`. Nothing changes on failure.
   */
  constructor(
    host: Host,
    readonly device: PciDevice,
    private readonly options: VfioPciIntxOptions,
  ) {
    if (!(options.trigger instanceof EventFd)) {
      throw new IrqError('EINVAL', `${device.name}: INTx trigger is not an EventFd`);
    }
    if (options.unmask !== undefined && !(options.unmask instanceof EventFd)) {
      throw new IrqError('EINVAL', `${device.name}: INTx unmask is not an EventFd`);
    }
    if (claimed.has(device)) throw new IrqError('EBUSY', `${device.name}: INTx is already in use`);
    this.counts = new VfioCounts(host.counters);
    this.maskWithDisIntx = device.pci23 && options.nointxmask !== true;
    this.shared = this.maskWithDisIntx;
    const wantDirect = options.directEoi === true || options.directEoi === 'fallback';
    if (wantDirect && this.shared && options.unsafeForceDirectEoi !== true) {
      if (options.directEoi !== 'fallback') {
        throw new IrqError('EBUSY', `${device.name}: direct EOI needs an exclusive line`);
      }
      this.directEoi = false;
    } else {
      this.directEoi = wantDirect;
    }
    this.forwarding = new LineForwarding(device.line);
    this.action = device.line.request(`vfio-intx ${device.name}`, () => this.handle(), {
      shared: this.shared,
    });
    claimed.add(device);
    this.stopUnmask = virqfd(options.unmask, () => this.unmask());
  }

  /** True while the line is forwarded to a guest (and direct EOI, if granted, is in effect). */
  get forwarded(): boolean {
    return this.forwarding.target !== null;
  }

  /** HOST-2.6: mask; a masked device never signals its trigger. */
  mask(): void {
    if (this.masked) return;
    this.masked = true;
    if (this.maskWithDisIntx) this.device.setDisIntx(true);
    else this.device.line.disable();
  }

  /** HOST-2.5: unmask; with 2.3 masking a still-asserting device is re-signalled at once. */
  unmask(): void {
    if (!this.masked) return;
    this.counts.unmask();
    if (!this.maskWithDisIntx) {
      this.masked = false;
      this.device.line.enable();
      return;
    }
    if (this.device.interruptStatus) {
      // VFIO's "re-send instead of re-trigger" (pci_check_and_unmask_intx found it pending):
      // stay masked and signal again.
      this.signal();
      return;
    }
    this.masked = false;
    this.device.setDisIntx(false);
  }

  /**
   * Forwards the line to `gsi` of `vm`, engaging direct EOI (HOST-2.7, HOST-4.3).
   * @throws IrqError EINVAL without direct EOI (a masking handler on a forwarded line would
   * wait for a resample that a HW-mapped interrupt never produces); otherwise as
   * {@link LineForwarding.forward} (ENXIO, EBUSY, EAGAIN while active or masked).
   */
  forward(vm: Vm, gsi: number): void {
    if (!this.directEoi) {
      throw new IrqError('EINVAL', `${this.device.name}: forwarding INTx needs direct EOI`);
    }
    this.forwarding.forward(vm, gsi, this.masked);
  }

  /** Stops forwarding; a still-asserting device interrupts again through the masking handler. */
  unforward(): void {
    this.forwarding.unforward();
  }

  /**
   * CORE-6.14: what a VMM does around re-plumbing a resampling irqfd — mask, run `change`
   * (deassign / re-assign), then unmask so an interrupt missed in between fires again. The
   * unmask is unconditional, as QEMU's `vfio_intx_enable_kvm` does: a device masked by its
   * handler waits for a resample that the deassign of the last resampling irqfd never sends
   * (CORE-6.10).
   */
  replumb(change: () => void): void {
    this.mask();
    try {
      change();
    } finally {
      this.unmask();
    }
  }

  /** Frees the line and unforwards it. The device may then be requested again. */
  release(): void {
    this.stopUnmask?.();
    this.stopUnmask = null;
    // Free first, so that unforwarding does not take a last interrupt through a dying handler.
    this.device.line.free(this.action);
    this.unforward();
    claimed.delete(this.device);
  }

  private handle(): boolean {
    if (this.directEoi && this.forwarding.target !== null) {
      // HOST-2.7 (seed 002's vfio_intx_handler_deoi): signal only; no mask, the line stays
      // active until the guest deactivates it. Like the patch it claims every interrupt of the
      // line — on a shared line (test-only override) also its neighbours' (HOST-S8).
      if (this.masked) return false; // HOST-2.6
      this.signal();
      return true;
    }
    if (this.maskWithDisIntx) {
      // HOST-2.3 (pci_check_and_mask_intx): claim only our own interrupt on a shared line.
      if (this.masked || !this.device.interruptStatus) return false;
      this.masked = true;
      this.device.setDisIntx(true);
      this.counts.mask();
      this.signal();
      return true;
    }
    // HOST-2.4: no 2.3 masking — disable the whole (exclusive) line.
    this.masked = true;
    this.device.line.disable();
    this.counts.mask();
    this.signal();
    return true;
  }

  private signal(): void {
    this.triggers++;
    this.options.trigger.signal();
  }
}
