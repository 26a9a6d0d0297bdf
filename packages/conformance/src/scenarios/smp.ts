import assert from 'node:assert/strict';
import { EventFd } from '@irqkit/core';
import type { Scenario } from './types.js';

/** Several vCPUs. */
export const smpScenarios: readonly Scenario[] = [
  {
    id: 'CONF-09',
    title: 'lines targeting different vCPUs reach exactly their targets',
    rules: ['CORE-5.9', 'CORE-2.1'],
    vcpus: 2,
    skip: (caps) => (caps.maxVcpus >= 2 ? null : 'single vCPU only'),
    run(ctx) {
      const { machine } = ctx;
      const n = Math.min(machine.vcpus, 4, machine.capabilities.lineGsis.length);
      const fds: EventFd[] = [];
      for (let v = 0; v < n; v++) {
        const g = ctx.line(v);
        machine.guest.configure(g, { trigger: 'edge', target: v, priority: 4 });
        machine.guest.unmask(g);
        const fd = new EventFd();
        machine.vm.irqfds.assign({ eventfd: fd, gsi: g });
        fds.push(fd);
      }
      for (const fd of fds) fd.signal();
      ctx.settle();
      const tokens = Array.from({ length: n }, (_, v) => ctx.drain(v));
      for (let v = 0; v < n; v++)
        assert.equal(tokens[v]!.length, 1, `vCPU ${v} got exactly one interrupt`);
      assert.equal(new Set(tokens.map((t) => t[0])).size, n, 'each vCPU got its own line');
    },
  },
];
