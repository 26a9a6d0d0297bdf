/**
 * POWER XICS benchmarks (issue 5): full cycles through the in-kernel XICS model — an irqfd
 * signal triggers the source (ICS), the delivery lands in the server's ICP, the guest accepts
 * it with H_XIRR and completes it with H_EOI — for an MSI and for an LSI with a resampling
 * irqfd, and an IPI through H_IPI. Plus the memory of a fully populated XICS.
 *
 * The guest side goes through the machine's GuestPort (`take` = H_XIRR, `eoi` = H_EOI), which
 * carries the XIRR as its two halves: `hXirr()` returns the XIRR as a u32, and V8 boxes every
 * number above 2^30 that crosses a call (the last cycle case shows the cost).
 */
import { EventFd } from '@irqkit/core';
import { createPowerMachine, type PowerMachine } from '@irqkit/power';
import { type Bench, heapUsed } from './harness.js';

const MSI = 0x1000;
const LSI = 0x1200;

function xics(profile: 'hv-realmode' | 'virtual' = 'hv-realmode'): PowerMachine {
  const m = createPowerMachine({ vcpus: 2, profile }); // both vCPUs in the guest
  m.guest.configureMsi!(MSI, { target: 1, priority: 6 });
  m.guest.configure(LSI, { trigger: 'level', target: 1, priority: 6 });
  m.guest.unmask(LSI);
  return m;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`power bench: ${what}`);
}

/** irqfd → ICS → ICP 1 → H_XIRR → H_EOI on the MSI. */
function msiCycle(profile: 'hv-realmode' | 'virtual'): () => void {
  const m = xics(profile);
  const fd = new EventFd();
  m.vm.irqfds.assign({ eventfd: fd, gsi: MSI });
  const g = m.guest;
  fd.signal();
  const t0 = g.take(1);
  check(t0 === MSI, 'MSI not presented');
  g.eoi(1, MSI);
  return () => {
    fd.signal();
    g.eoi(1, g.take(1)!);
  };
}

export const powerBenches: Bench[] = [
  {
    kind: 'cycles',
    group: 'power',
    name: 'MSI: eventfd → irqfd → ICS (P/Q) → ICP → H_XIRR → H_EOI, real mode',
    target: 10_000_000,
    setup: () => msiCycle('hv-realmode'),
  },
  {
    kind: 'cycles',
    group: 'power',
    name: 'MSI, virtual profile (each hcall exits to the host kernel)',
    setup: () => msiCycle('virtual'),
  },
  {
    kind: 'cycles',
    group: 'power',
    name: 'LSI: resampling irqfd → ICS → ICP → H_XIRR → H_EOI (re-present, exit, ack, de-assert, resamplefd) → stale H_XIRR + H_EOI',
    setup() {
      const m = xics();
      const fd = new EventFd();
      const rfd = new EventFd();
      m.vm.irqfds.assign({ eventfd: fd, gsi: LSI, resamplefd: rfd });
      const g = m.guest;
      const cycle = () => {
        fd.signal();
        g.eoi(1, g.take(1)!); // the EOI re-presents L before the ack de-asserts it (PWR-7.6)
        g.take(1); // the stale presentation: the guest completes it as spurious
        rfd.read();
      };
      cycle();
      check(m.icpState(1)!.xisr === 0 && m.counters.get('guest.spurious') === 1, 'LSI cycle');
      return cycle;
    },
  },
  {
    kind: 'cycles',
    group: 'power',
    name: 'IPI: H_IPI 0→1 → H_XIRR → H_IPI (clear MFRR) → H_EOI, real mode',
    setup() {
      const m = xics();
      const g = m.guest;
      const cycle = () => {
        m.hIpi(0, 1, 4);
        const t = g.take(1)!;
        m.hIpi(1, 1, 0xff);
        g.eoi(1, t);
      };
      cycle();
      check(m.icpState(1)!.xisr === 0 && m.icpState(1)!.mfrr === 0xff, 'IPI cycle left state');
      return cycle;
    },
  },
  {
    kind: 'cycles',
    group: 'power',
    name: 'MSI through the raw hXirr()/hEoi() (u32 XIRR: V8 boxes it)',
    setup() {
      const m = xics();
      const fd = new EventFd();
      m.vm.irqfds.assign({ eventfd: fd, gsi: MSI });
      return () => {
        fd.signal();
        m.hEoi(1, m.hXirr(1));
      };
    },
  },
  {
    kind: 'once',
    group: 'power',
    name: 'memory: 1,024 ICSes × 1,024 sources (one source word written per ICS)',
    run() {
      const mem = () => {
        heapUsed();
        const u = process.memoryUsage();
        return u.heapUsed + u.arrayBuffers;
      };
      const before = mem();
      const m = createPowerMachine({ vcpus: 1, xics: 'device' });
      for (let id = 0; id < 1024; id++) m.setSource(Math.max(16, id << 10), 0x000002ff00000000n);
      const bytes = mem() - before;
      check(m.icsIds().length === 1024, 'not every ICS was created');
      return {
        icses: m.icsIds().length,
        MiB: bytes / 2 ** 20,
        bytesPerSource: bytes / (1024 * 1024),
      };
    },
  },
];
