/**
 * Test fixtures after spec/power.md §13: the STD machine, compact event strings for sequence
 * assertions, and small helpers for RTAS calls and ICP state.
 */
import type { TraceEvent } from '@irqkit/core';
import {
  createPowerMachine,
  type PowerMachine,
  type PowerMachineOptions,
  type RtasName,
} from '../src/index.js';

/** MSI sources of the STD fixture. */
export const A = 0x1000;
export const B = 0x1001;
/** LSI source of the STD fixture. */
export const L = 0x1200;
/** QEMU's reset-form words: server 0, field 0xFF, MASKED (+ LEVEL). */
export const MSI_RESET = 0x000002ff00000000n;
export const LSI_RESET = 0x000003ff00000000n;
/** Trigger levels (PWR-4.2). */
export const SET = 0xffffffff;
export const SET_LEVEL = 0xfffffffd;
export const UNSET = 0xfffffffe;

/**
 * The STD fixture: XICS created, RTAS names bound, vCPUs 0..2 as servers 0..2, each vCPU
 * doing H_CPPR(0xFF), sources A, B (MSI) and L (LSI) in reset form. Profile `virtual` unless
 * overridden.
 */
export function std(options: Partial<PowerMachineOptions> = {}): PowerMachine {
  const { xics, ...rest } = options;
  const m = createPowerMachine({
    vcpus: 3,
    profile: 'virtual',
    boot: false,
    ...rest,
    xics: xics ?? 'device',
  });
  if (xics !== undefined) return m;
  // vCPUs 0, 1, 2 connected as servers 0, 1, 2; further vCPUs stay unconnected
  for (let v = 0; v < Math.min(3, m.vcpus); v++) m.connectVcpu(v, v);
  for (let v = 0; v < Math.min(3, m.vcpus); v++) m.hCppr(v, 0xff);
  m.setSource(A, MSI_RESET);
  m.setSource(B, MSI_RESET);
  m.setSource(L, LSI_RESET);
  return m;
}

/** RTAS call by name from vCPU 0; returns the return words. */
export function rtas(m: PowerMachine, name: RtasName, args: number[], nret?: number): number[] {
  const n = nret ?? (name === 'ibm,get-xive' ? 3 : 1);
  const r = m.rtasByName(0, name, args, n);
  if (r === null) throw new Error(`${name} went to userspace`);
  return r;
}

/** `ibm,set-xive(irq, server, priority)` → status. */
export function setXive(m: PowerMachine, irq: number, server: number, prio: number): number {
  return rtas(m, 'ibm,set-xive', [irq, server, prio])[0]!;
}

/** `trig(x)`: an MSI message (level 0xFFFFFFFF). */
export function trig(m: PowerMachine, irq: number): number {
  return m.trigger(irq, SET);
}

/** `{cppr, mfrr, ppri, xisr}` of server `v`'s ICP. */
export function icp(
  m: PowerMachine,
  v: number,
): { cppr: number; mfrr: number; ppri: number; xisr: number } {
  const s = m.icpState(v);
  if (s === null) throw new Error(`vCPU ${v} has no ICP`);
  return { cppr: s.cppr, mfrr: s.mfrr, ppri: s.ppri, xisr: s.xisr };
}

/** `{cppr, mfrr, ppri, xisr}` literal, written as in the spec's tables. */
export function st(cppr: number, mfrr: number, ppri: number, xisr: number) {
  return { cppr, mfrr, ppri, xisr };
}

/** The PWR-0.4 event stream as compact strings. */
export function compact(e: TraceEvent, hideHcallExits: boolean): string | null {
  const h = (n: number) => `0x${n.toString(16)}`;
  switch (e.type) {
    case 'power.eeRaise':
      return `eeRaise(${e.vcpu})`;
    case 'power.eeLower':
      return `eeLower(${e.vcpu})`;
    case 'power.kick':
      return e.self ? `kick(${e.vcpu},self)` : `kick(${e.vcpu})`;
    case 'power.warn':
      return `warn(${e.code},${e.irq < 0 ? e.irq : h(e.irq)})`;
    case 'power.exit':
      if (hideHcallExits && e.level === 'vm' && e.reason === 'hcall') return null;
      return `exit(${e.vcpu},${e.level},${e.reason})`;
    case 'ack':
      return `ack(${h(e.gsi)})`;
    case 'resample':
      return `resample(${h(e.gsi)})`;
    default:
      return null;
  }
}

/**
 * Runs `fn` and returns the PWR-0.4 events it produced. In the `virtual` profile the
 * `exit(v,'vm','hcall')` of every in-kernel hcall is dropped, as in the §13 tables.
 */
export function events(m: PowerMachine, fn: () => void, keepHcallExits = false): string[] {
  const rec = m.trace.record();
  try {
    fn();
  } finally {
    rec.stop();
  }
  const hide = m.profile === 'virtual' && !keepHcallExits;
  return rec.events.map((e) => compact(e, hide)).filter((s): s is string => s !== null);
}

/** Creates a machine with default options and `n` vCPUs (for tests of defaults). */
export function machine(n = 3, options: Partial<PowerMachineOptions> = {}): PowerMachine {
  return createPowerMachine({ vcpus: n, ...options });
}
