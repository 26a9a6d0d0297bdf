import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateChromeTrace } from '@irqkit/sim';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'irqkit-cli-'));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` (cwd: a scratch directory, no TTY) and collects its exit code and output. */
function run(file: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd: work, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the built binary the way a user would. */
function irqkit(...args: string[]): Promise<Run> {
  return run(process.execPath, [BIN, ...args]);
}

const fixture = (name: string) => join(FIXTURES, name);

describe.concurrent('irqkit: help and usage', () => {
  it.each([[], ['compare'], ['simulate'], ['conformance'], ['graph']])(
    '--help %s prints usage and exits 0',
    async (...cmd) => {
      const r = await irqkit(...(cmd as string[]), '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: irqkit${cmd.length === 0 ? '' : ` ${cmd[0]}`}`));
    },
  );

  it('no arguments prints the help; --version prints the version', async () => {
    const r = await irqkit();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Commands:/);
    expect((await irqkit('--version')).stdout.trim()).toBe('0.1.0');
  });

  it('unknown commands, unknown options and bad option values exit 2', async () => {
    for (const args of [
      ['frob'],
      ['compare', '--frob'],
      ['compare', '--seed', 'x'],
      ['compare', '--paths', 'nope/none'],
    ]) {
      const r = await irqkit(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toBe('');
    }
  });
});

describe.concurrent('irqkit compare', () => {
  it('prints a table per architecture, the bypass-vs-baseline answers, and where the trace went', async () => {
    const trace = join(work, 'compare-trace.json');
    const r = await irqkit('compare', '--duration', '5', '--trace', trace);
    expect(r.code).toBe(0);
    for (const id of [
      'x86/userspace-irqchip',
      'x86/ioapic-resample',
      'x86/msi-irqfd',
      'x86/posted',
      'arm/spi-resample',
      'arm/spi-forwarded',
      'arm/lpi-irqfd',
      'arm/vlpi',
      'power/virtual-hcalls',
      'power/realmode-hcalls',
      'power/realmode-passthrough',
    ]) {
      expect(r.stdout).toContain(id);
    }
    expect(r.stdout).not.toContain('reference/'); // `--paths all` adds the reference plugin
    for (const arch of ['x86', 'ARM', 'POWER']) expect(r.stdout).toContain(`== ${arch} (`);
    expect(r.stdout).toContain('x86/posted vs msi-irqfd');
    expect(r.stdout).toContain('arm/spi-forwarded vs spi-resample');
    expect(r.stdout).toContain('arm/vlpi vs lpi-irqfd');
    expect(r.stdout).toContain('power/realmode-passthrough vs realmode-hcalls');
    expect(r.stdout).toContain(`trace: ${trace}`);
    expect(r.stdout).toContain('ui.perfetto.dev');
    expect(validateChromeTrace(JSON.parse(readFileSync(trace, 'utf8')))).toEqual([]);
  });

  it('npm start: bundles the CLI from source and runs the comparison, exit 0', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const r = await run(process.execPath, [
      join(root, 'packages/cli/scripts/start.mjs'),
      '--duration',
      '2',
      '--no-trace',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/built the CLI from source in [\d.]+ s/);
    expect(r.stdout).toContain('== ARM (');
    expect(r.stdout).toContain('x86/posted vs msi-irqfd');
  });

  it('--json prints parseable results; the same seed gives the same bytes', async () => {
    const a = await irqkit('compare', '--duration', '3', '--json', '--no-trace', '--seed', '9');
    const b = await irqkit('compare', '--duration', '3', '--json', '--no-trace', '--seed', '9');
    expect(a.code).toBe(0);
    const parsed = JSON.parse(a.stdout);
    expect(parsed.seed).toBe(9);
    expect(parsed.paths.map((p: { status: string }) => p.status)).toEqual(Array(13).fill('ok'));
    expect(new Set(parsed.paths.map((p: { arch: string }) => p.arch))).toEqual(
      new Set(['x86', 'arm', 'power']),
    );
    expect(a.stdout).toBe(b.stdout);
  });

  it('--cost overrides a constant; an unknown constant is a usage error', async () => {
    const base = await irqkit(
      'compare',
      '-d',
      '3',
      '--json',
      '--no-trace',
      '-p',
      'reference/level-resample',
    );
    const moved = await irqkit(
      'compare',
      '-d',
      '3',
      '--json',
      '--no-trace',
      '-p',
      'reference/level-resample',
      '--cost',
      'reference.X86_RESAMPLE_UNMASK=20000',
    );
    expect(moved.code).toBe(0);
    const ns = (r: Run) => JSON.parse(r.stdout).paths[0].priced.resamplefdSignals.ns;
    expect(ns(moved)).toBeGreaterThan(ns(base));
    const bad = await irqkit('compare', '--cost', 'NOPE_NOPE=1', '--no-trace');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('NOPE_NOPE');
  });

  it('--list names every path', async () => {
    const r = await irqkit('compare', '--list');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(18);
    for (const id of [
      'reference/msi-posted',
      'x86/posted',
      'arm/vlpi',
      'power/realmode-passthrough',
    ])
      expect(r.stdout).toContain(id);
  });
});

describe.concurrent('irqkit simulate', () => {
  it('runs a YAML scenario on the paths it selects; --json parses', async () => {
    const r = await irqkit(
      'simulate',
      fixture('good-scenario.yaml'),
      '--json',
      '--trace',
      join(work, 't.json'),
    );
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.scenario).toBe('tiny');
    expect(parsed.paths.map((p: { id: string }) => p.id)).toEqual([
      'reference/level-forwarded',
      'reference/msi-posted',
    ]);
    expect(r.stderr).toContain('ui.perfetto.dev');
  });

  it('a JSON scenario works too', async () => {
    const file = join(work, 'scenario.json');
    writeFileSync(
      file,
      JSON.stringify({
        durationMs: 2,
        paths: ['reference/msi-irqfd'],
        workloads: [{ kind: 'timer' }],
      }),
    );
    const r = await irqkit('simulate', file, '--no-trace');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('reference/msi-irqfd');
  });

  it('a bad scenario file: a clear error naming each field and value, exit code 2', async () => {
    const r = await irqkit('simulate', fixture('bad-scenario.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid scenario');
    expect(r.stderr).toMatch(/workloads\[0\]\.periodUs: .*\(got -250\)/);
    expect(r.stderr).toMatch(/workloads\[1\]\.vcpu: vCPU 7 does not exist .*\(got 7\)/);
    expect(r.stdout).toBe('');
  });

  it('a missing file and malformed YAML are usage errors too', async () => {
    const missing = await irqkit('simulate', 'no-such-file.yaml');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read scenario file no-such-file\.yaml/);
    const file = join(work, 'broken.yaml');
    writeFileSync(file, 'workloads: [ { kind: timer\n');
    const broken = await irqkit('simulate', file);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/not valid YAML/);
  });
});

describe.concurrent('irqkit conformance', () => {
  it('a good plugin module passes: report, exit 0; --json parses', async () => {
    const r = await irqkit('conformance', fixture('good-plugin.mjs'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^conformance: my-reference-copy/);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
    const j = await irqkit(
      'conformance',
      fixture('good-plugin.mjs'),
      '--json',
      '--only',
      'CONF-01',
    );
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ plugin: 'my-reference-copy', failed: 0 });
  });

  it('a broken plugin fails: exit 1, failures listed', async () => {
    const r = await irqkit('conformance', fixture('broken-plugin.mjs'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL');
    expect(r.stdout).toMatch(/conformance: broken-plugin/);
  });

  it('a missing module or one without a plugin is a usage error', async () => {
    const missing = await irqkit('conformance', './nope.mjs');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/not found/);
    const none = await irqkit('conformance', fixture('no-plugin.mjs'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exports no plugin.*answer/);
  });
});

describe.concurrent('irqkit graph', () => {
  it('prints DOT by default and Mermaid on request', async () => {
    const dot = await irqkit('graph', '--path', 'reference/msi-posted');
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph /);
    expect(dot.stdout).toContain('GSI 24');
    const mermaid = await irqkit('graph', '-p', 'reference/level-resample', '-f', 'mermaid');
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toMatch(/^flowchart LR/);
    expect(mermaid.stdout).toContain('chip 0 pin 0');
  });

  it('defaults to an architecture path, and a reader closing the pipe early is not an error', async () => {
    const piped = await run('/bin/sh', ['-c', `"${process.execPath}" "${BIN}" graph | head -n 1`]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^digraph "x86\//);
    expect(piped.stderr).toBe('');
  });

  it('an unknown path or format is a usage error', async () => {
    expect((await irqkit('graph', '--path', 'x86/none')).code).toBe(2);
    expect((await irqkit('graph', '--format', 'png')).code).toBe(2);
  });
});
