import { describe, expect, it } from 'vitest';
import {
  createReferenceMachine,
  describeConformance,
  formatReport,
  referencePlugin,
  runConformance,
  scenarios,
} from '../src/index.js';

describeConformance({ describe, it }, referencePlugin);

describeConformance(
  { describe, it },
  {
    name: 'reference, one controller, one vCPU',
    create: (o) => createReferenceMachine({ host: o.host, vcpus: o.vcpus }),
  },
);

describe('plain runner', () => {
  it('runConformance reports every scenario, and all pass on the reference plugin', async () => {
    const report = await runConformance(referencePlugin);
    expect(report.results.map((r) => r.id)).toEqual(scenarios.map((s) => s.id));
    expect(report.failed).toBe(0);
    expect(report.skipped).toBe(0);
    expect(formatReport(report)).toMatch(
      new RegExp(`${scenarios.length} passed, 0 failed, 0 skipped$`),
    );
  });

  it('a plugin that loses interrupts fails the kit, with the scenario named', async () => {
    const lossy = {
      name: 'lossy',
      create: (o: Parameters<typeof referencePlugin.create>[0]) => {
        const m = createReferenceMachine({ host: o.host, vcpus: o.vcpus, controllers: 2 });
        return { ...m, guest: { ...m.guest, take: () => null } };
      },
    };
    const report = await runConformance(lossy, { only: ['CONF-01'] });
    expect(report.failed).toBe(1);
    expect(report.results[0]?.error).toMatch(/expected one interrupt/);
  });

  it('scenarios a plugin cannot run are skipped with the reason', async () => {
    const noIrqchipFeatures = {
      name: 'no capabilities',
      create: (o: Parameters<typeof referencePlugin.create>[0]) => {
        const m = createReferenceMachine({ host: o.host, vcpus: o.vcpus });
        return {
          ...m,
          capabilities: {
            ...m.capabilities,
            resample: false,
            msi: false,
            forwarding: false,
            maxVcpus: 1,
          },
        };
      },
    };
    const report = await runConformance(noIrqchipFeatures, {
      only: ['CONF-02', 'CONF-07', 'HOST-S13', 'CONF-09'],
    });
    expect(report.results.map((r) => r.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(report.results[0]?.error).toBe('no resampling irqfds');
  });
});
