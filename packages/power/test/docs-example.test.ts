import { EventFd } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createPowerMachine, decodeIrq } from '../src/index.js';

// The worked examples of docs/arch/power.md, kept runnable.
describe('docs/arch/power.md examples', () => {
  it('PWR-7.4: the worked example runs as the guide says', () => {
    expect(decodeIrq(0x1234)).toEqual({ icsId: 4, src: 0x234 });
    const m = createPowerMachine({ vcpus: 2 });
    const MSI = 0x1000;
    const LSI = 0x1200;
    m.setSource(MSI, 0x0000_02ff_0000_0000n);
    m.setSource(LSI, 0x0000_03ff_0000_0000n);
    expect(m.rtasByName(0, 'ibm,set-xive', [MSI, 1, 5], 1)).toEqual([0]);
    expect(m.rtasByName(0, 'ibm,set-xive', [LSI, 0, 5], 1)).toEqual([0]);
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: MSI });
    fd.signal();
    const xirr = m.hXirr(1);
    expect(xirr).toBe(0xff001000);
    expect(m.icpState(1)!.cppr).toBe(5);
    m.hEoi(1, xirr);
    m.irqLine(LSI, 0xfffffffd);
    const x2 = m.hXirr(0);
    expect(x2).toBe(0xff001200);
    m.hEoi(0, x2);
    m.irqLine(LSI, 0xfffffffe);
    expect(m.hXirr(0)).toBe(0xff001200);
    m.hEoi(0, 0xff001200);
    expect(m.hXirr(0)).toBe(0xff000000);
    expect(m.getIcp(1).toString(16)).toBe('ff000000ffff0000');
  });

  it('PWR-8.2: the real-mode example counts one kick exit', () => {
    const m = createPowerMachine({ vcpus: 3, hostRedirect: false });
    m.setRunState(2, 'blocked');
    m.hIpi(0, 2, 4);
    m.hIpi(0, 1, 4);
    expect(m.vcpuCounters(0).get('exits.kick')).toBe(1);
  });
});
