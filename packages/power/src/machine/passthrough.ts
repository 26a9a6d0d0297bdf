import {
  type BypassHooks,
  type Counters,
  HostMsiIrq,
  type IrqBypassProducer,
  type Irqfd,
  type PostedTarget,
} from '@irqkit/core';
import type { PowerKernel } from './kernel.js';

/**
 * PWR-7.9, the real-mode passthrough bypass (`kvmppc_set_passthru_irq` and
 * `kvmppc_deliver_irq_passthru`): when an irqfd on global number `gsi` is paired with a host
 * MSI, the host interrupt is re-targeted (`setVcpuAffinity`) so that, arriving while a vCPU of
 * the guest runs on a hardware thread, it is handled in real mode on that thread as an MSI
 * trigger of `gsi` — no host handler, eventfd or irqfd. If no vCPU of the VM is in the guest,
 * or no ICS holds `gsi`, the host handles it as usual (the eventfd is signalled).
 *
 * The interrupted vCPU is the target server's vCPU when it runs, else the lowest running one.
 * It costs that vCPU no exit unless real mode leaves a kick for virtual mode (PWR-8.2).
 * Only the `hv-realmode` profile installs these hooks (real mode exists only there).
 */
export class XicsPassthrough implements BypassHooks {
  private readonly posted = new Map<IrqBypassProducer, PostedTarget>();
  private readonly cPassthru: number;
  private readonly cHost: number;

  /**
   * @param kernel - the kernel (late-bound: the hooks exist before the VM does).
   * @param counters - machine counters (`passthru.realmode`, `passthru.host`).
   */
  constructor(
    private readonly kernel: () => PowerKernel,
    private readonly counters: Counters,
  ) {
    this.cPassthru = counters.id('passthru.realmode');
    this.cHost = counters.id('passthru.host');
  }

  private get k(): PowerKernel {
    return this.kernel();
  }

  addProducer(irqfd: Irqfd, producer: IrqBypassProducer): number {
    const host = this.k.vm.host;
    if (!(host.irqs.get(producer.irq) instanceof HostMsiIrq)) return 0; // only host MSIs
    const target: PostedTarget = { post: () => this.arrive(irqfd) };
    host.irqs.setVcpuAffinity(producer.irq, target);
    this.posted.set(producer, target);
    return 0;
  }

  delProducer(_irqfd: Irqfd, producer: IrqBypassProducer): void {
    if (!this.posted.delete(producer)) return;
    this.k.vm.host.irqs.setVcpuAffinity(producer.irq, null);
  }

  /** The host MSI paired with `irqfd` fired. */
  private arrive(irqfd: Irqfd): void {
    const k = this.k;
    const x = k.xics;
    const vcpu = x === null ? -1 : this.interruptedVcpu(irqfd.gsi);
    if (x === null || vcpu < 0 || x.findIcs(irqfd.gsi) === undefined) {
      this.hostPath(irqfd);
      return;
    }
    const ctx = k.ctx;
    const saved = ctx.begin(vcpu, true);
    try {
      this.counters.add(this.cPassthru);
      x.passthroughTrigger(irqfd.gsi, x.icps[vcpu]!);
      ctx.finishRealMode(vcpu, false);
    } finally {
      ctx.end(saved);
    }
  }

  // Which vCPU thread takes the host interrupt: the source's server if it runs, else any.
  private interruptedVcpu(gsi: number): number {
    const x = this.k.xics!;
    const running = this.k.ctx.running;
    const ics = x.findIcs(gsi);
    if (ics !== undefined) {
      const icp = x.findServer(ics.server[gsi & 0x3ff]!);
      if (icp !== null && running[icp.vcpu] === 1) return icp.vcpu;
    }
    for (let v = 0; v < running.length; v++) {
      if (running[v] === 1 && x.icps[v] !== null) return v;
    }
    return -1;
  }

  // Not in real mode: the host handler runs and VFIO signals the eventfd (→ irqfd).
  private hostPath(irqfd: Irqfd): void {
    const k = this.k;
    this.counters.add(this.cHost);
    k.vm.host.counters.bump('hostIrqs');
    irqfd.eventfd.signal();
  }
}
