/**
 * Save/restore in the userspace format of spec/power.md §9 (what QEMU migrates): one ICP word
 * per vCPU and one source word per existing source, restored "ICPs first, then sources"
 * (PWR-9.8) on a device rebuilt QEMU-style (vCPUs connected, every saved source written in
 * reset form first so that its ICS exists). 64-bit words travel as hex strings.
 */
import { IrqError, type JsonValue } from '@irqkit/core';
import {
  FIRST_IRQ,
  ICS_SHIFT,
  IRQ_PER_ICS,
  KVM_XICS_DESTINATION_MASK,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PRIORITY_SHIFT,
  MASKED,
  MAX_ICS_ID,
  NR_IRQS,
  RTAS_NAMES,
  type RtasName,
  U64_MAX,
  XICS_HCALLS,
} from '../xics/constants.js';
import { F_EXISTS } from '../xics/ics.js';
import { decodeIcpWord, getIcpWord, getSourceWord, icpWordProblem } from '../xics/state.js';
import type { PowerKernel } from './kernel.js';

/** The arch part of a POWER snapshot. */
export interface PowerState {
  /** The XICS device, or null when the VM had none. */
  readonly xics: {
    /** Server number per vCPU, null when not connected. */
    readonly servers: (number | null)[];
    /** ICP word per vCPU (hex), null when not connected. */
    readonly icps: (string | null)[];
    /** Ids of the created ICSes. */
    readonly ics: number[];
    /** Every existing source and its word (hex). */
    readonly sources: Array<{ readonly irq: number; readonly word: string }>;
  } | null;
  /** RTAS definitions `[name, token (hex)]`, in order. */
  readonly tokens: Array<[string, string]>;
  /** XICS hcalls disabled for in-kernel handling. */
  readonly disabledHcalls: number[];
  /** The timebase (hex). */
  readonly timebase: string;
}

/** Captures the kernel's state. */
export function saveState(k: PowerKernel): PowerState {
  const x = k.xics;
  const disabledHcalls = XICS_HCALLS.filter((nr) => k.enabled[nr >>> 2] !== 1);
  const tokens = k.tokens.entries().map(([n, t]): [string, string] => [n, hex(t)]);
  const base = { tokens, disabledHcalls, timebase: hex(k.timebase) };
  if (x === null) return { xics: null, ...base };
  const servers: (number | null)[] = [];
  const icps: (string | null)[] = [];
  for (let v = 0; v < k.vcpus; v++) {
    const icp = x.icps[v]!;
    servers.push(icp === null ? null : icp.server);
    icps.push(icp === null ? null : hex(getIcpWord(icp)));
  }
  const ics: number[] = [];
  const sources: Array<{ irq: number; word: string }> = [];
  for (let id = 0; id <= MAX_ICS_ID; id++) {
    const s = x.ics[id];
    if (s === undefined) continue;
    ics.push(id);
    for (let i = 0; i < IRQ_PER_ICS; i++) {
      if ((s.flags[i]! & F_EXISTS) !== 0) {
        sources.push({ irq: s.base | i, word: hex(getSourceWord(x, s.base | i)) });
      }
    }
  }
  return { xics: { servers, icps, ics, sources }, ...base };
}

/**
 * Restores `json` into `k`, replacing its device. Everything is validated before anything
 * changes.
 * @throws IrqError EINVAL for a malformed snapshot or one whose ICP words `setIcp` refuses
 * (PWR-14.6: e.g. an IPI left in XISR after MFRR was raised).
 */
export function restoreState(k: PowerKernel, json: JsonValue): void {
  const st = parse(k, json);
  k.hostOp(() => {
    if (k.xics !== null) k.release();
    k.tokens.clear();
    for (const [name, token] of st.tokens) k.tokens.define(name, token);
    k.enabled.fill(0);
    for (const nr of XICS_HCALLS) k.enabled[nr >>> 2] = st.disabled.includes(nr) ? 0 : 1;
    k.timebase = st.timebase;
    if (st.xics === null) return;
    k.createDevice();
    const x = k.xics!;
    st.xics.servers.forEach((server, v) => {
      if (server !== null) k.connectVcpu(v, server);
    });
    for (const id of st.xics.ics) x.createIcs(id);
    for (const { irq, word } of st.xics.sources) k.setSource(irq, resetForm(word));
    st.xics.icps.forEach((word, v) => {
      if (word !== null) k.setIcp(v, word);
    });
    for (const { irq, word } of st.xics.sources) k.setSource(irq, word);
  });
}

// QEMU's reset form of a claimed source (PWR-9.9): server 0, field 0xFF, MASKED, LEVEL kept.
function resetForm(word: bigint): bigint {
  return (
    (BigInt(MASKED) << KVM_XICS_PRIORITY_SHIFT) |
    KVM_XICS_MASKED |
    (word & KVM_XICS_LEVEL_SENSITIVE)
  );
}

interface Parsed {
  readonly xics: {
    readonly servers: (number | null)[];
    readonly icps: (bigint | null)[];
    readonly ics: number[];
    readonly sources: Array<{ irq: number; word: bigint }>;
  } | null;
  readonly tokens: Array<[RtasName, bigint]>;
  readonly disabled: number[];
  readonly timebase: bigint;
}

function parse(k: PowerKernel, json: JsonValue): Parsed {
  const st = obj(json, 'state');
  const tokens = arr(st.tokens, 'tokens').map((t): [RtasName, bigint] => {
    const pair = arr(t, 'token');
    const name = RTAS_NAMES.find((n) => n === pair[0]);
    if (name === undefined) fail(`unknown RTAS name ${String(pair[0])}`);
    const token = word(pair[1], 'token');
    if (token === 0n) fail('RTAS token 0');
    return [name, token];
  });
  if (new Set(tokens.map((t) => t[1])).size !== tokens.length) fail('duplicate RTAS token');
  const disabled = arr(st.disabledHcalls, 'disabledHcalls').map((n) => {
    if (typeof n !== 'number' || !XICS_HCALLS.includes(n)) fail(`bad hcall ${String(n)}`);
    return n;
  });
  const timebase = word(st.timebase, 'timebase');
  if (st.xics === null) return { xics: null, tokens, disabled, timebase };
  const xs = obj(st.xics, 'xics');
  const servers = arr(xs.servers, 'servers').map((s) => (s === null ? null : u32(s, 'server')));
  if (servers.length !== k.vcpus) fail(`${servers.length} servers for ${k.vcpus} vCPUs`);
  const used = servers.filter((s) => s !== null);
  if (new Set(used).size !== used.length) fail('duplicate server number');
  const ics = arr(xs.ics, 'ics').map((id) => {
    const n = u32(id, 'ICS id');
    if (n > MAX_ICS_ID) fail(`ICS id ${n}`);
    return n;
  });
  const sources = arr(xs.sources, 'sources').map((e) => {
    const o = obj(e, 'source');
    const irq = u32(o.irq, 'irq');
    if (irq < FIRST_IRQ || irq >= NR_IRQS) fail(`source ${irq} out of range`);
    const w = word(o.word, 'source word');
    const field = Number((w >> KVM_XICS_PRIORITY_SHIFT) & 0xffn);
    const server = Number(w & KVM_XICS_DESTINATION_MASK);
    if (field !== MASKED && !used.includes(server)) fail(`source ${irq}: server ${server}`);
    return { irq, word: w };
  });
  const icsSet = new Set([...ics, ...sources.map((s) => s.irq >>> ICS_SHIFT)]);
  const icps = arr(xs.icps, 'icps').map((w, v) => {
    if (w === null) return null;
    const val = word(w, 'ICP word');
    const problem = icpWordProblem(decodeIcpWord(val), (irq) => icsSet.has(irq >>> ICS_SHIFT));
    if (problem !== null) fail(`vCPU ${v}: ${problem} (PWR-14.6)`);
    if (servers[v] === null) fail(`vCPU ${v} has an ICP word but no server`);
    return val;
  });
  if (icps.length !== k.vcpus) fail(`${icps.length} ICP words for ${k.vcpus} vCPUs`);
  return {
    xics: { servers, icps, ics: [...icsSet].sort((a, b) => a - b), sources },
    tokens,
    disabled,
    timebase,
  };
}

function fail(msg: string): never {
  throw new IrqError('EINVAL', `bad POWER snapshot: ${msg}`);
}

function obj(v: JsonValue | undefined, what: string): { readonly [k: string]: JsonValue } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not an object`);
  return v as { readonly [k: string]: JsonValue };
}

function arr(v: JsonValue | undefined, what: string): readonly JsonValue[] {
  if (!Array.isArray(v)) fail(`${what} is not an array`);
  return v as readonly JsonValue[];
}

function u32(v: JsonValue | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    fail(`${what} ${String(v)}`);
  }
  return v;
}

function word(v: JsonValue | undefined, what: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-f]{1,16}$/i.test(v)) fail(`${what} ${String(v)}`);
  const w = BigInt(v);
  if (w > U64_MAX) fail(`${what} ${v}`);
  return w;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}
