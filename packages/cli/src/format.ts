import type { Comparison, PathResult } from '@irqkit/sim';

const us = (ns: number) => (ns / 1000).toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');

function pad(
  cells: readonly string[],
  widths: readonly number[],
  right: readonly boolean[],
): string {
  return cells
    .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [pad(header, widths, right), rule, ...rows.map((r) => pad(r, widths, right))].join('\n');
}

function reasons(p: PathResult): string {
  const parts = Object.entries(p.exitsByReason)
    .filter(([r]) => r !== 'halt')
    .map(([r, v]) => `${r} ${v.toFixed(2)}`);
  return parts.length === 0 ? '-' : parts.join(', ');
}

/** The request/response workloads' names (their transactions per second get a column each). */
function rrWorkloads(c: Comparison): string[] {
  const names = new Set<string>();
  for (const p of c.paths) {
    for (const [name, w] of Object.entries(p.workloads)) {
      if (w.transactionsPerSec !== undefined) names.add(name);
    }
  }
  return [...names];
}

function delta(a: number, b: number): string {
  if (b === 0) return 'n/a';
  const d = ((a - b) / b) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)} %`;
}

/**
 * The side-by-side comparison: one row per path (grouped by architecture as the presets are
 * ordered), then, for every path that names a baseline, what it changes against it.
 */
export function formatComparison(c: Comparison): string {
  const rr = rrWorkloads(c);
  const header = [
    'path',
    'exits/irq',
    'by reason (per irq)',
    'p50 µs',
    'p99 µs',
    'max µs',
    ...rr.map((n) => `${n} tx/s`),
    'host share',
    'irqs',
  ];
  const right = header.map((_, i) => i !== 0 && i !== 2);
  const rows = c.paths.map((p) => {
    if (p.status !== 'ok') {
      return [
        p.id,
        '-',
        `${p.status}: ${p.reason ?? ''}`,
        '-',
        '-',
        '-',
        ...rr.map(() => '-'),
        '-',
        '-',
      ];
    }
    return [
      p.id,
      p.exitsPerInterrupt.toFixed(2),
      reasons(p),
      us(p.latencyNs.p50),
      us(p.latencyNs.p99),
      us(p.latencyNs.max),
      ...rr.map((n) => {
        const w = p.workloads[n];
        return w?.transactionsPerSec === undefined ? '-' : fmtInt(w.transactionsPerSec);
      }),
      pct(p.hostShare),
      fmtInt(p.interrupts),
    ];
  });
  const lines = [
    `${c.scenario} — seed ${c.seed}, ${c.vcpus} vCPUs, ${c.durationMs} ms simulated per path`,
    c.description,
    '',
    table(header, rows, right),
  ];
  const byId = new Map(c.paths.map((p) => [p.id, p]));
  const vs: string[] = [];
  for (const p of c.paths) {
    // Presets name their baseline; one that did not run simply prints nothing.
    const b = p.baseline === undefined ? undefined : byId.get(p.baseline);
    if (b === undefined || p.status !== 'ok' || b.status !== 'ok') continue;
    const tps = rr
      .map((n) => {
        const x = p.workloads[n]?.transactionsPerSec;
        const y = b.workloads[n]?.transactionsPerSec;
        return x === undefined || y === undefined ? null : `${n} tx/s ${delta(x, y)}`;
      })
      .filter((s): s is string => s !== null);
    vs.push(
      `${p.id} vs ${b.id}: exits/irq ${(p.exitsPerInterrupt - b.exitsPerInterrupt).toFixed(2)}, ` +
        `p50 ${delta(p.latencyNs.p50, b.latencyNs.p50)}, p99 ${delta(p.latencyNs.p99, b.latencyNs.p99)}, ` +
        `${[...tps, ''].join(', ')}host share ${((p.hostShare - b.hostShare) * 100).toFixed(1)} pp`,
    );
  }
  if (vs.length > 0)
    lines.push(
      '',
      'against the baseline path (seed 004: does bypassing the hypervisor pay?):',
      ...vs.map((l) => `  ${l}`),
    );
  lines.push(
    '',
    'exits/irq: guest exits per interrupt taken (halts excluded); latency: device assert → guest handler entry;',
    'host share: (vCPU time out of the guest + host CPU work) / (that + guest work). Costs: spec/costs.md, see docs/cost-model.md.',
  );
  return `${lines.join('\n')}\n`;
}
