import { Host, IrqError, TestScheduler } from '@irqkit/core';
import type { ConformancePlugin, Scenario, ScenarioContext } from './types.js';

/** Builds a machine of `plugin` on a fresh host with a test scheduler. */
export function freshMachine(
  plugin: ConformancePlugin,
  vcpus: number,
): ReturnType<ScenarioContext['fresh']> {
  const scheduler = new TestScheduler();
  const machine = plugin.create({ vcpus, host: new Host({ scheduler }) });
  if (machine.vcpus < vcpus) {
    throw new IrqError('EINVAL', `${plugin.name}: asked for ${vcpus} vCPUs, got ${machine.vcpus}`);
  }
  return { machine, scheduler };
}

/** The context a scenario runs in. */
export function scenarioContext(plugin: ConformancePlugin, scenario: Scenario): ScenarioContext {
  const { machine, scheduler } = freshMachine(plugin, scenario.vcpus ?? 1);
  return {
    machine,
    scheduler,
    plugin,
    settle: () => scheduler.run(),
    line(i) {
      const g = machine.capabilities.lineGsis[i];
      if (g === undefined)
        throw new IrqError('EINVAL', `${plugin.name} declares fewer than ${i + 1} line GSIs`);
      return g;
    },
    drain(vcpu) {
      const tokens: number[] = [];
      for (let i = 0; i < 32; i++) {
        scheduler.run();
        const t = machine.guest.take(vcpu);
        if (t === null) break;
        tokens.push(t);
        machine.guest.eoi(vcpu, t);
      }
      scheduler.run();
      return tokens;
    },
    fresh: (vcpus) => freshMachine(plugin, vcpus ?? scenario.vcpus ?? 1),
  };
}
