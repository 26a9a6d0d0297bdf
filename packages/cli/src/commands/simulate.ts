import type { PathPreset } from '@irqkit/sim';
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { loadScenarioFile } from '../scenario-file.js';
import { addRunOptions } from './options.js';
import { type RunFlags, runComparison } from './run-comparison.js';

/** `irqkit simulate <scenario>`: a scenario file (JSON or YAML) on its selected paths. */
export function simulateCommand(
  program: Command,
  io: Io,
  presets: () => PathPreset[],
  setExit: (code: number) => void,
): void {
  const cmd = program
    .command('simulate')
    .description(
      'run a scenario file (JSON or YAML) on the paths it selects and print the comparison',
    )
    .argument('<scenario>', 'scenario file (.json, .yaml, .yml)');
  addRunOptions(cmd).action((file: string, flags: RunFlags) => {
    const scenario = loadScenarioFile(file, io.cwd);
    setExit(runComparison(scenario, flags, presets(), io));
  });
  cmd.addHelpText(
    'after',
    `
Scenario file (every field but workloads has a default; see docs/cost-model.md):
  name: my scenario
  seed: 1
  durationMs: 100
  vcpus: 2
  paths: [all]                      # ids, architectures, prefixes
  costs: { reference: { constants: { X86_EXIT_NULL: 1200 } } }
  workloads:
    - { kind: request-response, vcpu: 0, rttUs: 20, appUs: 2 }
    - { kind: storage, queues: 2, vcpus: [0, 1], burstGapUs: 200, burstSize: 8 }
    - { kind: timer, periodUs: 4000, vcpus: [0, 1] }
    - { kind: ipi-storm, senders: [0, 1], gapUs: 50 }   # paths with an IPI hook only
`,
  );
}
