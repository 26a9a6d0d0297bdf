import { IrqError, type JsonValue, type VcpuRunState } from '@irqkit/core';
import type { X86GuestPort } from './guest-port.js';
import { IOAPIC_NUM_PINS } from './ioapic/regs.js';
import { LVT_COUNT } from './lapic/lapic.js';
import type { KvmPicState } from './pic/pic.js';
import type { Platform } from './platform.js';
import type { MpState, Vcpu } from './vcpu.js';

/**
 * The machine snapshot's x86 part: everything that decides future behaviour, exactly — unlike
 * KVM's lossy ioctls (`getIoapicState` hides delivered edges; KVM_SET_LAPIC resets the
 * arbitration counter), restoring it makes a machine behave as the original from then on.
 */
export interface X86State {
  readonly format: 'irqkit-x86/1';
  readonly vcpus: number;
  readonly irqchip: string;
  readonly clockNs: number;
  readonly ioapic: {
    readonly lo: number[];
    readonly hi: number[];
    readonly ioregsel: number;
    readonly id: number;
    readonly irr: number;
    readonly irrDelivered: number;
    readonly eoiCount: number[];
    readonly baseAddress: number;
    readonly rtcPendingEoi: number;
    readonly rtcDestMap: number[];
    readonly rtcVectors: number[];
    readonly stormTimerNs: number;
    readonly stormQueued: boolean;
  };
  readonly pic: { readonly chips: [KvmPicState, KvmPicState]; readonly output: boolean } | null;
  readonly cpus: VcpuState[];
  readonly guestPort: Array<[number, number, number]>;
}

/** One vCPU's part of {@link X86State}. */
export interface VcpuState {
  readonly irr: number[];
  readonly isr: number[];
  readonly tmr: number[];
  readonly handled: number[];
  readonly highestStale: number;
  readonly tpr: number;
  readonly idReg: number;
  readonly ldr: number;
  readonly dfr: number;
  readonly spiv: number;
  readonly icrLo: number;
  readonly icrHi: number;
  readonly esr: number;
  readonly tmict: number;
  readonly tdcr: number;
  readonly lvt: number[];
  readonly apicBase: number;
  readonly arbPrio: number;
  readonly pir: number[];
  readonly on: boolean;
  readonly sn: boolean;
  readonly nv: number;
  readonly ndst: number;
  readonly state: VcpuRunState;
  readonly interruptible: boolean;
  readonly irqWindowRequested: boolean;
  readonly onWakeupList: boolean;
  readonly nmiPending: number;
  readonly smiPending: boolean;
  readonly pvUnhalted: boolean;
  readonly mpState: MpState;
  readonly startIp: number;
  readonly picTaken: number[];
}

function saveVcpu(v: Vcpu): VcpuState {
  const a = v.lapic;
  return {
    irr: Array.from(a.irr.words),
    isr: Array.from(a.isr.words),
    tmr: Array.from(a.tmr.words),
    handled: Array.from(a.ioapicHandled.words),
    highestStale: a.highestStalePendingEoi,
    tpr: a.tpr,
    idReg: a.idReg >>> 0,
    ldr: a.ldr >>> 0,
    dfr: a.dfr >>> 0,
    spiv: a.spiv,
    icrLo: a.icrLo >>> 0,
    icrHi: a.icrHi >>> 0,
    esr: a.esr,
    tmict: a.tmict,
    tdcr: a.tdcr,
    lvt: Array.from(a.lvt),
    apicBase: a.apicBase >>> 0,
    arbPrio: a.arbPrio,
    pir: Array.from(v.pid.pir.words),
    on: v.pid.on,
    sn: v.pid.sn,
    nv: v.pid.nv,
    ndst: v.pid.ndst,
    state: v.state,
    interruptible: v.interruptible,
    irqWindowRequested: v.irqWindowRequested,
    onWakeupList: v.onWakeupList,
    nmiPending: v.nmiPending,
    smiPending: v.smiPending,
    pvUnhalted: v.pvUnhalted,
    mpState: v.mpState,
    startIp: v.startIp,
    picTaken: v.picTaken.slice(),
  };
}

/** The x86 state of the machine. */
export function saveState(p: Platform, port: X86GuestPort): X86State {
  const io = p.ioapic;
  return {
    format: 'irqkit-x86/1',
    vcpus: p.vcpus.length,
    irqchip: p.opts.irqchip,
    clockNs: p.clock.now,
    ioapic: {
      lo: Array.from(io.lo),
      hi: Array.from(io.hi),
      ioregsel: io.ioregsel >>> 0,
      id: io.ioapicId,
      irr: io.irr >>> 0,
      irrDelivered: io.irrDelivered >>> 0,
      eoiCount: Array.from(io.eoiCount),
      baseAddress: io.baseAddress,
      rtcPendingEoi: io.rtc.pendingEoi,
      rtcDestMap: Array.from(io.rtc.destMap),
      rtcVectors: Array.from(io.rtc.vectors),
      stormTimerNs: io.eoiInjectRemaining(),
      stormQueued: io.eoiInjectPending && io.eoiInjectRemaining() < 0,
    },
    pic:
      p.pic === null
        ? null
        : { chips: [p.pic.getState(0), p.pic.getState(1)], output: p.pic.output },
    cpus: p.vcpus.map(saveVcpu),
    guestPort: port.saveAllocations(),
  };
}

const RUN_STATES: readonly string[] = ['guest', 'host', 'preempted', 'blocked'];

function isWords(x: unknown, n: number): x is number[] {
  return (
    Array.isArray(x) &&
    x.length === n &&
    x.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
  );
}

/**
 * Checks that `s` is an {@link X86State} for this machine's shape.
 * @throws IrqError EINVAL otherwise.
 */
export function checkState(p: Platform, s: JsonValue): X86State {
  const bad = (why: string): never => {
    throw new IrqError('EINVAL', `x86 snapshot: ${why}`);
  };
  if (typeof s !== 'object' || s === null || Array.isArray(s)) bad('not an object');
  const st = s as unknown as X86State;
  if (st.format !== 'irqkit-x86/1') bad(`unknown format ${String(st.format)}`);
  if (st.vcpus !== p.vcpus.length)
    bad(`taken with ${String(st.vcpus)} vCPUs, machine has ${p.vcpus.length}`);
  if (st.irqchip !== p.opts.irqchip) bad(`taken with irqchip '${String(st.irqchip)}'`);
  if (typeof st.clockNs !== 'number' || st.clockNs < 0) bad('clockNs');
  const io = st.ioapic;
  if (typeof io !== 'object' || io === null) bad('ioapic');
  if (!isWords(io.lo, IOAPIC_NUM_PINS) || !isWords(io.hi, IOAPIC_NUM_PINS)) bad('ioapic entries');
  if (!isWords(io.eoiCount, IOAPIC_NUM_PINS)) bad('ioapic eoiCount');
  if (!isWords(io.rtcDestMap, p.vcpus.length) || !isWords(io.rtcVectors, p.vcpus.length))
    bad('rtc');
  if (!Array.isArray(st.cpus) || st.cpus.length !== p.vcpus.length) bad('cpus');
  for (const c of st.cpus) {
    for (const k of ['irr', 'isr', 'tmr', 'handled', 'pir'] as const)
      if (!isWords(c[k], 8)) bad(`cpu ${k}`);
    if (!isWords(c.lvt, LVT_COUNT)) bad('cpu lvt');
    if (!RUN_STATES.includes(c.state)) bad(`run state ${String(c.state)}`);
    if (c.mpState !== 'runnable' && c.mpState !== 'wait-for-sipi') bad('mpState');
  }
  if (!Array.isArray(st.guestPort)) bad('guestPort');
  if ((st.pic === null) !== (p.pic === null)) bad('taken with a different pic option');
  if (st.pic !== null) {
    for (const c of st.pic.chips) {
      if (
        typeof c !== 'object' ||
        c === null ||
        Object.values(c).some((x) => !Number.isInteger(x) || x < 0 || x > 0xff)
      ) {
        bad('pic state');
      }
    }
  }
  for (const c of st.cpus) if (!Array.isArray(c.picTaken)) bad('cpu picTaken');
  return st;
}

/** Loads a checked state (see {@link checkState}). */
export function loadState(p: Platform, port: X86GuestPort, st: X86State): void {
  const io = p.ioapic;
  const s = st.ioapic;
  io.lo.set(s.lo);
  io.hi.set(s.hi);
  io.ioregsel = s.ioregsel;
  io.ioapicId = s.id;
  io.irr = s.irr;
  io.irrDelivered = s.irrDelivered;
  io.eoiCount.set(s.eoiCount);
  io.baseAddress = s.baseAddress;
  io.rtc.pendingEoi = s.rtcPendingEoi;
  io.rtc.destMap.set(s.rtcDestMap);
  io.rtc.vectors.set(s.rtcVectors);
  io.cancelEoiInject();
  p.clock.advance(Math.max(0, st.clockNs - p.clock.now));
  io.rearmEoiInject(s.stormTimerNs);
  if (s.stormQueued) io.queueEoiInject();
  st.cpus.forEach((c, i) => {
    const v = p.vcpus[i]!;
    const a = v.lapic;
    a.irr.words.set(c.irr);
    a.isr.words.set(c.isr);
    a.tmr.words.set(c.tmr);
    a.ioapicHandled.words.set(c.handled);
    a.highestStalePendingEoi = c.highestStale;
    a.tpr = c.tpr;
    a.idReg = c.idReg;
    a.ldr = c.ldr;
    a.dfr = c.dfr;
    a.spiv = c.spiv;
    a.icrLo = c.icrLo;
    a.icrHi = c.icrHi;
    a.esr = c.esr;
    a.tmict = c.tmict;
    a.tdcr = c.tdcr;
    a.lvt.set(c.lvt);
    a.apicBase = c.apicBase;
    a.arbPrio = c.arbPrio;
    a.updatePpr();
    v.pid.pir.words.set(c.pir);
    v.pid.on = c.on;
    v.pid.sn = c.sn;
    v.pid.nv = c.nv;
    v.pid.ndst = c.ndst;
    v.state = c.state;
    v.inExit = false;
    v.interruptible = c.interruptible;
    v.irqWindowRequested = c.irqWindowRequested;
    v.onWakeupList = c.onWakeupList;
    v.nmiPending = c.nmiPending;
    v.smiPending = c.smiPending;
    v.pvUnhalted = c.pvUnhalted;
    v.mpState = c.mpState;
    v.startIp = c.startIp;
    v.picTaken = c.picTaken.slice();
  });
  if (p.pic !== null && st.pic !== null) {
    for (const chip of [0, 1] as const) {
      const s2 = p.pic.pics[chip];
      const c = st.pic.chips[chip];
      s2.lastIrr = c.lastIrr;
      s2.irr = c.irr;
      s2.imr = c.imr;
      s2.isr = c.isr;
      s2.priorityAdd = c.priorityAdd;
      s2.irqBase = c.irqBase;
      s2.readRegSelect = c.readRegSelect;
      s2.poll = c.poll;
      s2.specialMask = c.specialMask;
      s2.initState = c.initState;
      s2.autoEoi = c.autoEoi;
      s2.rotateOnAutoEoi = c.rotateOnAutoEoi;
      s2.specialFullyNestedMode = c.specialFullyNestedMode;
      s2.init4 = c.init4;
      s2.elcr = c.elcr;
    }
    p.pic.output = st.pic.output;
  }
  p.bus.invalidate();
  port.restoreAllocations(st.guestPort);
}
