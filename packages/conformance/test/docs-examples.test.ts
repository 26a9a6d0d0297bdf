import { EventFd } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createReferenceMachine } from '../src/index.js';

// The examples in docs/ run here, so the guides cannot drift from the API.
describe('docs/getting-started.md', () => {
  it('the irqfd example delivers one interrupt and counts it', () => {
    const m = createReferenceMachine({ vcpus: 1 });
    m.guest.configure(5, { trigger: 'edge', target: 0, priority: 4 });
    m.guest.unmask(5);
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 5 });
    fd.signal();
    const token = m.guest.take(0);
    expect(token).not.toBeNull();
    if (token !== null) m.guest.eoi(0, token);
    const c = m.counters.snapshot();
    expect(c.injections).toBe(1);
    expect(c.delivered).toBe(1);
    expect(c.deferredInjections).toBe(1);
    expect(c['exits.kick']).toBe(1);
    expect(c['exits.eoi']).toBe(1);
  });
});
