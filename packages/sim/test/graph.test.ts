import { describe, expect, it } from 'vitest';
import { renderDot, renderMermaid, routingGraph, wirePath } from '../src/index.js';
import { refPreset, smallScenario } from './helpers.js';

describe('routing graph (irqkit graph)', () => {
  it('posted MSI: device → eventfd → irqfd → GSI → msi entry → vCPU, plus a dashed bypass', () => {
    const setup = wirePath(refPreset('msi-posted'), smallScenario());
    const g = routingGraph('reference/msi-posted', setup);
    const labels = g.nodes.map((n) => n.label);
    expect(labels).toEqual(expect.arrayContaining(['vCPU 0', 'vCPU 1', 'GSI 24']));
    expect(labels.some((l) => l.startsWith('msi entry addr 0x0:0xfee00000'))).toBe(true);
    const bypass = g.edges.filter((e) => e.bypass === true);
    expect(bypass.length).toBe(setup.sources.length);
    expect(bypass.every((e) => e.label === 'posted')).toBe(true);
    const dot = renderDot(g);
    expect(dot).toMatch(/^digraph "reference\/msi-posted" \{/);
    expect(dot).toContain('style=dashed');
    expect(dot.trim().endsWith('}')).toBe(true);
    const mermaid = renderMermaid(g);
    expect(mermaid.startsWith('flowchart LR')).toBe(true);
    expect(mermaid).toContain('-.->');
  });

  it('level paths go through a controller pin; forwarding shows as a bypass', () => {
    const resample = routingGraph('r', wirePath(refPreset('level-resample'), smallScenario()));
    expect(resample.nodes.some((n) => n.label === 'chip 0 pin 0')).toBe(true);
    expect(resample.edges.some((e) => e.bypass === true)).toBe(false);
    const all = routingGraph('r', wirePath(refPreset('level-resample'), smallScenario()), {
      allRoutes: true,
    });
    expect(all.nodes.some((n) => n.label === 'chip 0 pin 23')).toBe(true);
    expect(all.nodes.length).toBeGreaterThan(resample.nodes.length);
    const fwd = routingGraph('f', wirePath(refPreset('level-forwarded'), smallScenario()));
    expect(fwd.edges.filter((e) => e.bypass === true).map((e) => e.label)).toContain('forwarded');
  });
});
