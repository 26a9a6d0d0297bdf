import { EventFd, Host, TestScheduler } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createPowerMachine, H_CPPR, MASKED } from '../src/index.js';
import { A, icp, MSI_RESET, machine, setXive } from './fixture.js';

describe('createPowerMachine', () => {
  it('PWR-9.2: defaults: device, QEMU tokens, vCPU ids as servers, booted CPPR', () => {
    const m = machine(4);
    expect(m.arch).toBe('power');
    expect(m.hasDevice).toBe(true);
    expect(m.rtasToken('ibm,int-on')).toBe(0x200d);
    expect([0, 1, 2, 3].map((v) => m.server(v))).toEqual([0, 1, 2, 3]);
    expect(icp(m, 3)).toEqual({ cppr: MASKED, mfrr: MASKED, ppri: MASKED, xisr: 0 });
    expect(m.runState(2)).toBe('guest');
    expect(m.capabilities).toMatchObject({
      resample: true,
      msi: true,
      msiBypass: 'post',
      forwarding: false,
      saveRestore: true,
    });
  });

  it('PWR-9.2: custom server numbers, a given host, no boot', () => {
    const host = new Host({ scheduler: new TestScheduler() });
    const m = createPowerMachine({ vcpus: 2, host, servers: [0x20, 0x28], boot: false });
    expect(m.host).toBe(host);
    expect(m.server(1)).toBe(0x28);
    expect(m.getIcp(1)).toBe(0x00000000ffff0000n);
    m.hCppr(0, 0xff);
    expect(m.hIpi(0, 0x28, 5)).toBe(0);
    expect(m.icpState(1)).toMatchObject({ mfrr: 5, xisr: 0 }); // latent behind CPPR 0
    m.hCppr(1, 0xff);
    expect(m.icpState(1)!.xisr).toBe(2);
  });

  it('PWR-8.2: run states other than guest mean "not on a hardware thread"', () => {
    const m = machine(2, { hostRedirect: false });
    expect(m.hostRedirect).toBe(false);
    for (const s of ['host', 'preempted', 'blocked'] as const) {
      m.setRunState(1, s);
      expect(m.runState(1)).toBe(s);
      const before = m.vcpuCounters(0).get('exits.kick');
      m.hIpi(0, 1, 5);
      expect(m.vcpuCounters(0).get('exits.kick')).toBe(before + 1);
      m.hXirr(1);
      m.hIpi(1, 1, 0xff);
      m.hEoi(1, 0xff000002);
    }
    m.setRunState(1, 'guest');
    m.hIpi(0, 1, 5);
    expect(m.vcpuCounters(1).get('kicks.direct')).toBe(1);
  });

  it('PWR-8.1: per-vCPU counters add into the machine counters', () => {
    const m = machine(2);
    m.hCppr(0, 4);
    m.hCppr(1, 4);
    expect(m.vcpuCounters(0).get('hcalls.realmode')).toBe(1);
    expect(m.counters.get('hcalls.realmode')).toBe(2);
  });

  it('PWR-9.8: save/restore keeps tokens, disabled hcalls, the timebase and a device-less VM', () => {
    const m = machine(2);
    m.defineRtasToken('ibm,get-xive', 0x9999);
    m.enableHcall(H_CPPR, false);
    m.timebase = 5n;
    m.setSource(A, MSI_RESET);
    setXive(m, A, 1, 5);
    const n = createPowerMachine({ vcpus: 2, xics: 'none', rtasTokens: false });
    n.restore(m.save());
    expect(n.rtasToken('ibm,get-xive')).toBe(0x200b);
    expect(n.rtas(0, { token: 0x9999, nargs: 1, nret: 3, args: [A] })).toEqual([0, 1, 5]);
    expect(n.hcall(0, H_CPPR, 5n).handledIn).toBe('user');
    expect(n.timebase).toBe(5n);
    const empty = createPowerMachine({ vcpus: 2, xics: 'none' });
    m.restore(empty.save());
    expect(m.hasDevice).toBe(false);
  });

  it('PWR-7.5: irqfds keep working after the device is released and re-created', () => {
    const m = machine(2);
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: A });
    m.release();
    efd.signal(); // -ENODEV, swallowed
    m.createDevice();
    m.connectVcpu(1, 1);
    m.hCppr(1, 0xff);
    m.setSource(A, MSI_RESET);
    setXive(m, A, 1, 5);
    efd.signal();
    expect(icp(m, 1).xisr).toBe(A);
  });
});
