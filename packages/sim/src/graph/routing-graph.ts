import type { RoutingEntryBase } from '@irqkit/core';
import type { GraphHop } from '../presets/preset.js';
import type { RunSetup } from '../run/setup.js';

/** A node of a routing graph. */
export interface GraphNode {
  /** Unique id (safe for DOT and Mermaid after quoting). */
  readonly id: string;
  /** Text shown. */
  readonly label: string;
  /** Column it belongs to. */
  readonly layer: GraphHop['layer'] | 'gsi' | 'entry' | 'chip' | 'vcpu';
}

/** An edge of a routing graph. */
export interface GraphEdge {
  /** From node id. */
  readonly from: string;
  /** To node id. */
  readonly to: string;
  /** Label, if any. */
  readonly label?: string;
  /** A bypass (posted / forwarded) short cut, drawn dashed. */
  readonly bypass?: boolean;
}

/** A machine's interrupt routing as the simulator wired it. */
export interface RoutingGraph {
  /** Title (path id). */
  readonly title: string;
  /** Nodes, in a stable order. */
  readonly nodes: readonly GraphNode[];
  /** Edges, in a stable order. */
  readonly edges: readonly GraphEdge[];
}

function entryLabel(e: RoutingEntryBase): { label: string; chip: string | null } {
  const x = e as RoutingEntryBase & Record<string, unknown>;
  if (e.kind === 'irqchip') return { label: 'irqchip entry', chip: `chip ${x.chip} pin ${x.pin}` };
  if (e.kind === 'msi') {
    const hex = (n: unknown) => `0x${Number(n).toString(16)}`;
    const devid = x.devid === undefined ? '' : ` devid ${x.devid}`;
    return {
      label: `msi entry addr ${hex(x.addressHi)}:${hex(x.addressLo)} data ${hex(x.data)}${devid}`,
      chip: null,
    };
  }
  const { gsi: _g, kind, ...rest } = x;
  return { label: `${kind} entry ${JSON.stringify(rest)}`, chip: null };
}

/**
 * The routing graph of a wired path: for each source, device → host hops → irqfd → GSI →
 * its routing entries (`vm.entriesFor`) → controller pin (irqchip entries) → the target vCPU,
 * labelled with the token the guest takes; plus dashed bypass edges where delivery is posted
 * or forwarded. With `allRoutes`, every other routing-table entry is drawn too (GSI → entry →
 * controller pin), without a device.
 */
export function routingGraph(
  title: string,
  setup: RunSetup,
  options: { readonly allRoutes?: boolean } = {},
): RoutingGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const node = (n: GraphNode) => {
    if (!nodes.has(n.id)) nodes.set(n.id, n);
    return n.id;
  };
  const vm = setup.machine.vm;
  for (let v = 0; v < setup.machine.vcpus; v++) {
    node({ id: `vcpu${v}`, label: `vCPU ${v}`, layer: 'vcpu' });
  }
  for (const s of setup.sources) {
    const vcpu = `vcpu${s.target}`;
    const token = `token ${s.token} (0x${s.token.toString(16)})`;
    if (s.wired === null) {
      const id = node({ id: `${s.name}:ipi`, label: `${s.name}: guest IPI`, layer: 'device' });
      edges.push({ from: id, to: vcpu, label: token });
      continue;
    }
    let prev: string | null = null;
    for (const h of s.wired.hops) {
      const id = node({ id: h.id, label: h.label, layer: h.layer });
      if (prev !== null) edges.push({ from: prev, to: id });
      prev = id;
    }
    const gsi = node({ id: `gsi${s.wired.gsi}`, label: gsiLabel(s.wired.gsi), layer: 'gsi' });
    if (prev !== null) edges.push({ from: prev, to: gsi });
    const entries = vm.entriesFor(s.wired.gsi);
    if (entries.length === 0) edges.push({ from: gsi, to: vcpu, label: `${token} (fixed map)` });
    entries.forEach((e, i) => {
      const { label, chip } = entryLabel(e);
      const eid = node({ id: `gsi${s.wired!.gsi}:e${i}`, label, layer: 'entry' });
      edges.push({ from: gsi, to: eid });
      if (chip !== null) {
        const cid = node({ id: chip.replace(/ /g, '_'), label: chip, layer: 'chip' });
        edges.push({ from: eid, to: cid });
        edges.push({ from: cid, to: vcpu, label: token });
      } else {
        edges.push({ from: eid, to: vcpu, label: token });
      }
    });
    const bypass = s.wired.bypass();
    const first = s.wired.hops[0];
    if (bypass !== null && first !== undefined) {
      edges.push({ from: first.id, to: vcpu, label: bypass, bypass: true });
    }
  }
  if (options.allRoutes === true) {
    for (const e of vm.router.entries()) {
      if (nodes.has(`gsi${e.gsi}`)) continue;
      const gsi = node({ id: `gsi${e.gsi}`, label: gsiLabel(e.gsi), layer: 'gsi' });
      const { label, chip } = entryLabel(e);
      const eid = node({ id: `gsi${e.gsi}:e0`, label, layer: 'entry' });
      edges.push({ from: gsi, to: eid });
      if (chip !== null) {
        edges.push({
          from: eid,
          to: node({ id: chip.replace(/ /g, '_'), label: chip, layer: 'chip' }),
        });
      }
    }
  }
  return { title, nodes: [...nodes.values()], edges };
}

/** `GSI n`, with the hex form for large numbers (XICS global numbers read better in hex). */
function gsiLabel(gsi: number): string {
  return gsi >= 256 ? `GSI ${gsi} (0x${gsi.toString(16)})` : `GSI ${gsi}`;
}

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Renders a routing graph as Graphviz DOT (left to right). */
export function renderDot(g: RoutingGraph): string {
  const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
  const shape: Record<GraphNode['layer'], string> = {
    device: 'box',
    host: 'box',
    kvm: 'box',
    guest: 'box',
    gsi: 'ellipse',
    entry: 'note',
    chip: 'component',
    vcpu: 'box3d',
  };
  const lines = [
    `digraph "${esc(g.title)}" {`,
    '  rankdir=LR;',
    `  label="${esc(g.title)}"; labelloc=t;`,
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const n of g.nodes) {
    lines.push(`  ${ids.get(n.id)} [label="${esc(n.label)}", shape=${shape[n.layer]}];`);
  }
  for (const e of g.edges) {
    const attrs: string[] = [];
    if (e.label !== undefined) attrs.push(`label="${esc(e.label)}"`);
    if (e.bypass === true) attrs.push('style=dashed', 'color=blue');
    const a = attrs.length === 0 ? '' : ` [${attrs.join(', ')}]`;
    lines.push(`  ${ids.get(e.from)} -> ${ids.get(e.to)}${a};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Renders a routing graph as a Mermaid flowchart (left to right). */
export function renderMermaid(g: RoutingGraph): string {
  const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
  const q = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  const lines = ['flowchart LR', `  %% ${g.title}`];
  for (const n of g.nodes) {
    const id = ids.get(n.id)!;
    const text = q(n.label);
    lines.push(n.layer === 'gsi' ? `  ${id}((${text}))` : `  ${id}[${text}]`);
  }
  for (const e of g.edges) {
    const arrow = e.bypass === true ? '-.->' : '-->';
    const label = e.label === undefined ? '' : `|${q(e.label)}|`;
    lines.push(`  ${ids.get(e.from)} ${arrow}${label} ${ids.get(e.to)}`);
  }
  return `${lines.join('\n')}\n`;
}
