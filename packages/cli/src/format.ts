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
  widths: readonly number[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string {
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
  if (b === 0) return a === 0 ? '±0 %' : 'n/a';
  const d = ((a - b) / b) * 100;
  return d === 0 ? '±0 %' : `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} %`;
}

const ARCH_TITLES: Readonly<Record<string, string>> = {
  x86: 'x86 (@irqkit/x86: IOAPIC, LAPIC, APICv, VT-d posting)',
  arm: 'ARM (@irqkit/arm: GICv3 VGIC, ITS, GICv4.1)',
  power: 'POWER (@irqkit/power: XICS on KVM Book3S HV)',
  reference: 'reference plugin (@irqkit/conformance; priced with the x86 figures)',
};

function pathRow(p: PathResult, rr: readonly string[]): string[] {
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
}

const signed = (d: number, digits: number, unit = '') =>
  `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(digits)}${unit}`;

/**
 * What each path that names a baseline changes against it (seed 004's question for that
 * pair): one row per pair, each cell "baseline → path (change)".
 */
function baselineTable(
  pairs: readonly (readonly [PathResult, PathResult])[],
  rr: readonly string[],
): string[] {
  const header = [
    'seed 004: bypass vs baseline',
    'exits/irq',
    'p50 µs',
    'p99 µs',
    ...rr.map((n) => `${n} tx/s`),
    'host share',
  ];
  const rows = pairs.map(([p, b]) => {
    const cells = [
      `${p.id} vs ${b.id.slice(b.id.indexOf('/') + 1)}`,
      `${b.exitsPerInterrupt.toFixed(2)} → ${p.exitsPerInterrupt.toFixed(2)}`,
      `${us(b.latencyNs.p50)} → ${us(p.latencyNs.p50)} (${delta(p.latencyNs.p50, b.latencyNs.p50)})`,
      `${us(b.latencyNs.p99)} → ${us(p.latencyNs.p99)} (${delta(p.latencyNs.p99, b.latencyNs.p99)})`,
    ];
    for (const n of rr) {
      const x = p.workloads[n]?.transactionsPerSec;
      const y = b.workloads[n]?.transactionsPerSec;
      cells.push(
        x === undefined || y === undefined ? '-' : `${fmtInt(y)} → ${fmtInt(x)} (${delta(x, y)})`,
      );
    }
    cells.push(
      `${pct(b.hostShare)} → ${pct(p.hostShare)} (${signed((p.hostShare - b.hostShare) * 100, 1, ' pp')})`,
    );
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = header.map((_, i) => i !== 0);
  return table(header, widths, rows, right)
    .split('\n')
    .map((l) => `  ${l}`);
}

/**
 * The side-by-side comparison: one table per architecture (in preset order), each followed
 * by what every path that names a baseline changes against it — the answer to seed 004 for
 * that architecture — then a legend.
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
  // One column layout for every table, so the architectures line up.
  const allRows = c.paths.map((p) => pathRow(p, rr));
  const widths = header.map((h, i) =>
    Math.max(h.length, ...allRows.map((r) => (r[i] ?? '').length)),
  );
  const byId = new Map(c.paths.map((p) => [p.id, p]));
  const lines = [
    `${c.scenario} — seed ${c.seed}, ${c.vcpus} vCPUs, ${c.durationMs} ms simulated per path`,
    c.description,
  ];
  const archs = [...new Set(c.paths.map((p) => p.arch))];
  for (const arch of archs) {
    const paths = c.paths.filter((p) => p.arch === arch);
    const ok = paths.find((p) => p.status === 'ok') ?? paths[0]!;
    lines.push(
      '',
      `== ${ARCH_TITLES[arch] ?? arch} — costs: ${ok.platform}, ${ok.cpuGHz} GHz`,
      table(
        header,
        widths,
        paths.map((p) => pathRow(p, rr)),
        right,
      ),
    );
    const pairs: Array<readonly [PathResult, PathResult]> = [];
    for (const p of paths) {
      // Presets name their baseline; one that did not run simply prints nothing.
      const b = p.baseline === undefined ? undefined : byId.get(p.baseline);
      if (b !== undefined && p.status === 'ok' && b.status === 'ok') pairs.push([p, b]);
    }
    if (pairs.length > 0) lines.push('', ...baselineTable(pairs, rr));
  }
  lines.push(
    '',
    'exits/irq: guest exits per interrupt taken (halts excluded); latency: device assert → guest handler entry;',
    'host share: (vCPU time out of the guest + host CPU work) / (that + guest work). Costs: spec/costs.md, see docs/cost-model.md.',
  );
  return `${lines.join('\n')}\n`;
}
