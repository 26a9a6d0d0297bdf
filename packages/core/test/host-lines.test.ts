import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EventFd,
  Host,
  type HostIrqLine,
  IrqError,
  PciDevice,
  SPURIOUS_THRESHOLD,
  SPURIOUS_WINDOW,
  type TraceEvent,
  VfioPciIntx,
} from '../src/index.js';

/** A bare device output on a line (no driver behind it). */
const dev = () => ({});

function newLine(): { host: Host; line: HostIrqLine } {
  const host = new Host();
  return { host, line: host.irqs.createLine() };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    throw e;
  }
  return undefined;
}

describe('HOST §1 physical interrupt lines', () => {
  it('HOST-1.1: the level is the OR of the attached outputs', () => {
    const { line } = newLine();
    const a = dev();
    const b = dev();
    expect(line.level).toBe(false);
    line.setOutput(a, true);
    line.setOutput(b, true);
    line.setOutput(a, false);
    expect(line.level).toBe(true);
    line.setOutput(b, false);
    expect(line.level).toBe(false);
  });

  it('HOST-1.1: property — after any sequence of output changes by up to 12 devices, the level is their OR', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.boolean()), { maxLength: 60 }),
        (steps) => {
          const { line } = newLine();
          const devices = Array.from({ length: 12 }, () => dev());
          const model = new Array<boolean>(12).fill(false);
          for (const [d, level] of steps) {
            line.setOutput(devices[d]!, level);
            model[d] = level;
            expect(line.level).toBe(model.includes(true));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('HOST-1.1: disable/enable nest as a depth counter; enabled only at depth 0', () => {
    const { line } = newLine();
    let calls = 0;
    const d = dev();
    line.request(
      'h',
      () => {
        calls++;
        line.setOutput(d, false); // the handler services the device
        return true;
      },
      { shared: false },
    );
    line.disable();
    line.disable();
    expect(line.depth).toBe(2);
    line.setOutput(d, true);
    line.enable();
    expect(line.depth).toBe(1);
    expect(calls).toBe(0); // still disabled
    line.enable();
    expect(line.depth).toBe(0);
    expect(calls).toBe(1); // the pending level interrupts once enabled
  });

  it('HOST-1.1: an unbalanced enable throws EINVAL and leaves the depth at 0', () => {
    const { line } = newLine();
    expect(codeOf(() => line.enable())).toBe('EINVAL');
    expect(line.depth).toBe(0);
    line.disable();
    line.enable();
    expect(codeOf(() => line.enable())).toBe('EINVAL');
    expect(line.depth).toBe(0);
  });

  it('HOST-1.1: the line is active between the host acknowledge and its EOI', () => {
    const { line } = newLine();
    const d = dev();
    const seen: boolean[] = [];
    line.request(
      'h',
      () => {
        seen.push(line.active);
        line.setOutput(d, false);
        return true;
      },
      { shared: false },
    );
    expect(line.active).toBe(false);
    line.setOutput(d, true);
    expect(seen).toEqual([true]);
    expect(line.active).toBe(false);
  });

  it('HOST-1.2: an exclusive request on a line with a handler fails with EBUSY, nothing changes', () => {
    const { line } = newLine();
    line.request('a', () => false, { shared: true });
    expect(codeOf(() => line.request('b', () => true, { shared: false }))).toBe('EBUSY');
    expect(line.handlers.map((h) => h.name)).toEqual(['a']);
  });

  it('HOST-1.2: any request on a line with an exclusive handler fails with EBUSY', () => {
    const { line } = newLine();
    line.request('x', () => true, { shared: false });
    expect(codeOf(() => line.request('s', () => true, { shared: true }))).toBe('EBUSY');
    expect(codeOf(() => line.request('e', () => true, { shared: false }))).toBe('EBUSY');
    expect(line.handlers.map((h) => h.name)).toEqual(['x']);
  });

  it('HOST-1.2: every shared handler runs; the interrupt is handled if any returns handled', () => {
    const { line } = newLine();
    const d = dev();
    const ran: string[] = [];
    line.request(
      'a',
      () => {
        ran.push('a');
        return false;
      },
      { shared: true },
    );
    line.request(
      'b',
      () => {
        ran.push('b');
        line.setOutput(d, false);
        return true;
      },
      { shared: true },
    );
    line.request(
      'c',
      () => {
        ran.push('c');
        return false;
      },
      { shared: true },
    );
    line.setOutput(d, true);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(line.taken).toBe(1);
    expect(line.unhandled).toBe(0);
  });

  it('HOST-1.2: an interrupt no shared handler claims counts as unhandled', () => {
    const { line } = newLine();
    const d = dev();
    line.request('a', () => false, { shared: true });
    line.request(
      'b',
      () => {
        line.setOutput(d, false); // stop the storm after one interrupt
        return false;
      },
      { shared: true },
    );
    line.setOutput(d, true);
    expect(line.taken).toBe(1);
    expect(line.unhandled).toBe(1);
  });

  it('HOST-1.3: a high, enabled, inactive line is taken; the host EOIs it after the handlers', () => {
    const { host, line } = newLine();
    const d = dev();
    const active: boolean[] = [];
    line.request(
      'h',
      () => {
        active.push(line.active);
        // The level stays high after the first run: the EOI lets it interrupt again.
        if (active.length === 2) line.setOutput(d, false);
        return true;
      },
      { shared: false },
    );
    line.setOutput(d, true);
    expect(active).toEqual([true, true]);
    expect(line.taken).toBe(2);
    expect(line.active).toBe(false);
    expect(host.counters.get('hostIrqs')).toBe(2);
  });

  it('HOST-1.3: a level raised while the line is disabled is taken when it is enabled', () => {
    const { line } = newLine();
    const d = dev();
    let calls = 0;
    line.request(
      'h',
      () => {
        calls++;
        line.setOutput(d, false);
        return true;
      },
      { shared: false },
    );
    line.disable();
    line.setOutput(d, true);
    expect(calls).toBe(0);
    line.enable();
    expect(calls).toBe(1);
  });

  it('HOST-1.3: a forwarded interrupt stays active until deactivated; a high level then retakes', () => {
    const { line } = newLine();
    const d = dev();
    let calls = 0;
    line.request(
      'h',
      () => {
        calls++;
        return true;
      },
      { shared: false },
    );
    line.setForwarded(true);
    line.setOutput(d, true);
    expect(calls).toBe(1);
    expect(line.active).toBe(true);
    line.deactivate(); // stands for the guest's deactivation
    expect(calls).toBe(2); // still high: interrupts again, and stays active again
    expect(line.active).toBe(true);
    line.setOutput(d, false);
    line.deactivate();
    expect(line.active).toBe(false);
    expect(calls).toBe(2);
  });

  it('HOST-1.3: a line with no handler is never taken', () => {
    const { line } = newLine();
    line.setOutput(dev(), true);
    expect(line.taken).toBe(0);
    expect(line.active).toBe(false);
  });

  it('HOST-1.4: a stuck unhandled level on a shared line is disabled after the 100,000 window', () => {
    const host = new Host();
    const line = host.irqs.createLine();
    const { events } = host.trace.record();
    const trigger = new EventFd();
    const a = new PciDevice('a', line, true);
    const intxA = new VfioPciIntx(host, a, { trigger });
    // A device nobody drives (no driver, DisINTx clear) asserts and never lets go.
    const stuck = new PciDevice('stuck', line, true);
    stuck.assert();
    expect(line.spuriousDisabled).toBe(true);
    expect(line.taken).toBe(SPURIOUS_WINDOW);
    expect(line.unhandled).toBe(SPURIOUS_WINDOW);
    expect(line.depth).toBe(1);
    expect(host.counters.get('spuriousDisabled')).toBe(1);
    expect(
      events.filter((e: TraceEvent) => e.type === 'host' && e.op === 'spurious-disabled'),
    ).toEqual([{ type: 'host', op: 'spurious-disabled', irq: line.irq }]);
    // The neighbour starves: its interrupt never reaches its handler.
    a.assert();
    expect(intxA.triggers).toBe(0);
    expect(trigger.count).toBe(0);
  });

  it('HOST-1.4: the threshold is strict: 99,900 unhandled of 100,000 is not disabled, 99,901 is', () => {
    for (const handledFirst of [SPURIOUS_WINDOW - SPURIOUS_THRESHOLD, 99]) {
      const { host, line } = newLine();
      const d = dev();
      let n = 0;
      line.request(
        'h',
        () => {
          n++;
          if (n === SPURIOUS_WINDOW) line.setOutput(d, false);
          return n <= handledFirst;
        },
        { shared: true },
      );
      line.setOutput(d, true);
      expect(n).toBe(SPURIOUS_WINDOW);
      const unhandled = SPURIOUS_WINDOW - handledFirst;
      expect(line.unhandled).toBe(unhandled);
      expect(line.spuriousDisabled).toBe(unhandled > SPURIOUS_THRESHOLD);
      expect(host.counters.get('spuriousDisabled')).toBe(unhandled > SPURIOUS_THRESHOLD ? 1 : 0);
    }
  });

  it('HOST-1.4: a new shared handler gives a spurious-disabled line another chance (__setup_irq)', () => {
    const { line } = newLine();
    const stuck = dev();
    line.request('a', () => false, { shared: true });
    line.setOutput(stuck, true);
    expect(line.spuriousDisabled).toBe(true);
    expect(line.depth).toBe(1);
    // A driver for the stuck device arrives and claims it.
    let claimed = 0;
    line.request(
      'b',
      () => {
        claimed++;
        line.setOutput(stuck, false);
        return true;
      },
      { shared: true },
    );
    expect(line.spuriousDisabled).toBe(false);
    expect(line.depth).toBe(0);
    expect(claimed).toBe(1);
  });

  it('HOST-1.4: installing a handler restarts the detection window', () => {
    const { line } = newLine();
    const d = dev();
    let stopAt = 0;
    line.request(
      'a',
      () => {
        if (line.taken === stopAt) line.setOutput(d, false);
        return false;
      },
      { shared: true },
    );
    stopAt = SPURIOUS_WINDOW / 2;
    line.setOutput(d, true); // half a window, all unhandled
    line.request('b', () => false, { shared: true });
    // 60% of a window more: without the restart the first window would end inside it.
    stopAt += (SPURIOUS_WINDOW * 6) / 10;
    line.setOutput(d, true);
    expect(line.taken).toBe(stopAt);
    expect(line.spuriousDisabled).toBe(false);
  });

  it('HOST-1.1: the first handler requested on a line starts it enabled (irq_startup)', () => {
    const { host, line } = newLine();
    const d = new PciDevice('d', line, false);
    const trigger = new EventFd();
    const first = new VfioPciIntx(host, d, { trigger });
    d.assert(); // non-2.3: the handler disables the whole line
    expect(line.depth).toBe(1);
    first.release();
    d.deassert();
    const second = new VfioPciIntx(host, d, { trigger });
    expect(line.depth).toBe(0);
    d.assert();
    expect(second.triggers).toBe(1);
  });
});
