/**
 * Small in-test fixtures for the spec/core.md rule tests (core-*.test.ts): a recording edge
 * controller, a level controller with remote-IRR-like latching whose EOI calls
 * `vm.notifyAcked`, an MSI sink that records messages (and can answer WOULD_BLOCK from the
 * signalling context), bypass hooks that record calls, and a VM built on a Host with a
 * TestScheduler (or the default ImmediateScheduler).
 */
import { expect } from 'vitest';
import {
  type BypassHooks,
  type Delivery,
  Host,
  ImmediateScheduler,
  type IrqArch,
  type IrqBypassProducer,
  type IrqChip,
  type IrqchipRoutingEntry,
  IrqError,
  type IrqErrorCode,
  type Irqfd,
  type MsiMessage,
  type MsiRoutingEntry,
  type MsiSink,
  type RouteTarget,
  type Scheduler,
  TestScheduler,
  Vm,
  WOULD_BLOCK,
} from '../src/index.js';

/** One `setLevel` call a fake controller received. */
export interface ChipCall {
  readonly pin: number;
  readonly level: boolean;
  readonly lineStatus: boolean;
}

/**
 * An edge-triggered controller: it latches its input and counts rising edges per pin. A rising
 * edge returns 1 (or the pin's forced result), a level-1 call without an edge returns 0
 * (coalesced), a de-assert returns `deassertResult`.
 */
export class FakeEdgeChip implements IrqChip {
  readonly calls: ChipCall[] = [];
  readonly input: boolean[];
  readonly edges: number[];
  /** Forced results for level-1 calls, by pin. */
  readonly results = new Map<number, Delivery>();
  /** What a de-assert returns (x86's IOAPIC returns 1). */
  deassertResult: Delivery = 1;
  /** Called inside every `setLevel`, after the call is recorded. */
  onSetLevel: ((pin: number, level: boolean) => void) | null = null;

  constructor(
    readonly id: number,
    readonly pins: number,
    private readonly log: string[] = [],
  ) {
    this.input = new Array<boolean>(pins).fill(false);
    this.edges = new Array<number>(pins).fill(0);
  }

  setLevel(pin: number, level: boolean, lineStatus: boolean): Delivery {
    this.calls.push({ pin, level, lineStatus });
    this.log.push(`chip${this.id}.set(${pin},${level ? 1 : 0})`);
    const rising = level && !this.input[pin];
    this.input[pin] = level;
    if (rising) this.edges[pin] = this.edges[pin]! + 1;
    this.onSetLevel?.(pin, level);
    if (!level) return this.deassertResult;
    const forced = this.results.get(pin);
    if (forced !== undefined) return forced;
    return rising ? 1 : 0;
  }

  /** The level of the last call for `pin`, or undefined if never driven. */
  lastLevel(pin: number): boolean | undefined {
    for (let i = this.calls.length - 1; i >= 0; i--) {
      const c = this.calls[i]!;
      if (c.pin === pin) return c.level;
    }
    return undefined;
  }

  /** The calls for one pin. */
  callsFor(pin: number): ChipCall[] {
    return this.calls.filter((c) => c.pin === pin);
  }
}

/**
 * A level-triggered controller shaped like an IOAPIC pin: `irr` latches the input line,
 * a delivery sets `remoteIrr` until the guest's EOI, and the EOI reports the acknowledgement
 * through `vm.notifyAcked` *before* clearing remote IRR (CORE-4.3), then re-delivers if the line
 * is still high. Unmasking a latched pin asks the resampler first (CORE-6.8).
 */
export class FakeLevelChip implements IrqChip {
  readonly calls: ChipCall[] = [];
  readonly irr: boolean[];
  readonly remoteIrr: boolean[];
  readonly masked: boolean[];
  readonly deliveries: number[];
  /** Called inside every `setLevel`, after the call is recorded. */
  onSetLevel: ((pin: number, level: boolean) => void) | null = null;

  constructor(
    readonly id: number,
    readonly pins: number,
    private readonly vm: Vm,
    private readonly log: string[] = [],
  ) {
    this.irr = new Array<boolean>(pins).fill(false);
    this.remoteIrr = new Array<boolean>(pins).fill(false);
    this.masked = new Array<boolean>(pins).fill(false);
    this.deliveries = new Array<number>(pins).fill(0);
  }

  setLevel(pin: number, level: boolean, lineStatus: boolean): Delivery {
    this.calls.push({ pin, level, lineStatus });
    this.log.push(`chip${this.id}.set(${pin},${level ? 1 : 0})`);
    this.irr[pin] = level;
    this.onSetLevel?.(pin, level);
    if (!level) return 1;
    return this.service(pin);
  }

  /** The guest EOIs `pin`'s interrupt. */
  eoi(pin: number): void {
    const sched = this.vm.scheduler;
    sched.enter();
    try {
      this.log.push(`chip${this.id}.eoi(${pin})`);
      if (!this.remoteIrr[pin]) return;
      this.vm.notifyAcked(this.id, pin); // remote IRR still set: re-assertions are latched
      this.remoteIrr[pin] = false;
      if (this.irr[pin] && !this.masked[pin]) this.service(pin);
    } finally {
      sched.exit();
    }
  }

  mask(pin: number): void {
    this.masked[pin] = true;
  }

  /** Unmask; a latched request goes to the resampler if one exists, else it is delivered. */
  unmask(pin: number): void {
    this.masked[pin] = false;
    if (!this.irr[pin] || this.remoteIrr[pin]) return;
    if (this.vm.notifyResampler(this.id, pin)) this.irr[pin] = false;
    else this.service(pin);
  }

  /** The level of the last call for `pin`, or undefined if never driven. */
  lastLevel(pin: number): boolean | undefined {
    for (let i = this.calls.length - 1; i >= 0; i--) {
      const c = this.calls[i]!;
      if (c.pin === pin) return c.level;
    }
    return undefined;
  }

  private service(pin: number): Delivery {
    if (this.masked[pin] || this.remoteIrr[pin]) return -1;
    this.remoteIrr[pin] = true;
    this.deliveries[pin] = this.deliveries[pin]! + 1;
    return 1;
  }
}

/** `addressLo` of messages the sink refuses to deliver from the signalling context. */
export const BLOCKING_ADDRESS = 0xfee0_1000;
/** `addressLo` of ordinary messages. */
export const MSI_ADDRESS = 0xfee0_0000;

/** An MSI sink that records what it receives. */
export class RecordingMsiSink implements MsiSink {
  readonly delivered: MsiMessage[] = [];
  readonly atomic: MsiMessage[] = [];
  /** What `deliverMsi` / a successful atomic delivery returns. */
  result: Delivery = 1;
  /** Messages whose `data` is in here are refused by `validateMsi` (arch validation). */
  readonly invalidData = new Set<number>();

  constructor(private readonly log: string[] = []) {}

  validateMsi(msg: MsiMessage): void {
    if (this.invalidData.has(msg.data)) {
      throw new IrqError('EINVAL', `message data ${msg.data} refused by the arch`);
    }
  }

  deliverMsi(msg: MsiMessage): Delivery {
    this.delivered.push(msg);
    this.log.push(`msi(${msg.data})`);
    return this.result;
  }

  deliverMsiInatomic(msg: MsiMessage): Delivery {
    if (msg.addressLo === BLOCKING_ADDRESS) return WOULD_BLOCK;
    this.atomic.push(msg);
    this.log.push(`msi-atomic(${msg.data})`);
    return this.result;
  }

  /** Every message that reached the guest, by either path. */
  get all(): MsiMessage[] {
    return [...this.delivered, ...this.atomic];
  }
}

/** Bypass hooks that record every call, with a configurable `addProducer` result. */
export class RecordingBypass implements BypassHooks {
  addResult = 0;
  readonly updates: Array<{
    irqfd: Irqfd;
    previous: RouteTarget | null;
    next: RouteTarget | null;
  }> = [];

  constructor(private readonly log: string[] = []) {}

  addProducer(irqfd: Irqfd, _producer: IrqBypassProducer): number {
    this.log.push(`arch.addProducer(gsi ${irqfd.gsi}, recorded=${irqfd.producer !== null})`);
    return this.addResult;
  }

  delProducer(irqfd: Irqfd): void {
    this.log.push(`arch.delProducer(gsi ${irqfd.gsi})`);
  }

  updateRouting(irqfd: Irqfd, previous: RouteTarget | null, next: RouteTarget | null): void {
    this.updates.push({ irqfd, previous, next });
    this.log.push(`arch.updateRouting(gsi ${irqfd.gsi})`);
  }

  stop(irqfd: Irqfd): void {
    this.log.push(`arch.stop(gsi ${irqfd.gsi})`);
  }

  start(irqfd: Irqfd): void {
    this.log.push(`arch.start(gsi ${irqfd.gsi})`);
  }
}

/** A producer with every optional callback present. */
export type RecordingProducer = Required<IrqBypassProducer> & { addResult: number };

/** A producer whose optional callbacks all record into `log` under `name`. */
export function recordingProducer(log: string[], name = 'P', addResult = 0): RecordingProducer {
  return {
    token: null,
    consumer: null,
    irq: 0,
    addResult,
    addConsumer() {
      log.push(`${name}.addConsumer`);
      return this.addResult;
    },
    delConsumer() {
      log.push(`${name}.delConsumer`);
    },
    stop() {
      log.push(`${name}.stop`);
    },
    start() {
      log.push(`${name}.start`);
    },
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Options of {@link setup}. */
export interface SetupOptions {
  /** Use the default ImmediateScheduler instead of a TestScheduler. */
  readonly immediate?: boolean;
  /** Give the arch an MSI sink (default true). */
  readonly msi?: boolean;
  /** Give the arch recording bypass hooks (default false). */
  readonly bypass?: boolean;
  /** Register the two fake controllers (default true). */
  readonly chips?: boolean;
  /** Arch hook overrides (merged before the VM is built). */
  readonly arch?: Partial<IrqArch>;
  /** Share a host (and its scheduler) with another fixture. */
  readonly host?: Host;
}

/** What {@link setup} returns. */
export interface Fixture {
  readonly host: Host;
  readonly sched: Scheduler;
  readonly vm: Vm;
  readonly arch: Mutable<IrqArch>;
  /** Controller 0: edge, 24 pins. */
  readonly edge: FakeEdgeChip;
  /** Controller 1: level, 24 pins. */
  readonly level: FakeLevelChip;
  readonly msi: RecordingMsiSink;
  readonly bypass: RecordingBypass;
  /** One log every fake writes into, in call order. */
  readonly log: string[];
}

/** Controller id of the edge fake. */
export const EDGE = 0;
/** Controller id of the level fake. */
export const LEVEL = 1;

/** Builds a VM with an edge controller (id 0) and a level controller (id 1), 24 pins each. */
export function setup(options: SetupOptions = {}): Fixture {
  const log: string[] = [];
  const host =
    options.host ??
    new Host({ scheduler: options.immediate ? new ImmediateScheduler() : new TestScheduler() });
  const msi = new RecordingMsiSink(log);
  const bypass = new RecordingBypass(log);
  const arch: Mutable<IrqArch> = {
    name: 'fake',
    postAckNotifierListUpdate: () => log.push('arch.ackListUpdate'),
    afterRoutingUpdate: () => log.push('arch.afterRoutingUpdate'),
    ...(options.msi === false ? {} : { msi }),
    ...(options.bypass === true ? { bypass } : {}),
    ...options.arch,
  };
  const vm = new Vm({ host, arch });
  const edge = new FakeEdgeChip(EDGE, 24, log);
  const level = new FakeLevelChip(LEVEL, 24, vm, log);
  if (options.chips !== false) {
    vm.addChip(edge);
    vm.addChip(level);
  }
  return { host, sched: host.scheduler, vm, arch, edge, level, msi, bypass, log };
}

/** An `irqchip` routing entry. */
export function pinRoute(gsi: number, chip: number, pin: number): IrqchipRoutingEntry {
  return { gsi, kind: 'irqchip', chip, pin };
}

/** An `msi` routing entry; `blocking` makes the sink answer WOULD_BLOCK in atomic context. */
export function msiRoute(gsi: number, data: number, blocking = false): MsiRoutingEntry {
  return {
    gsi,
    kind: 'msi',
    addressLo: blocking ? BLOCKING_ADDRESS : MSI_ADDRESS,
    addressHi: 0,
    data,
  };
}

/** Asserts that `fn` throws an `IrqError` with `code`, and returns it. */
export function expectIrqError(fn: () => unknown, code: IrqErrorCode): IrqError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected IrqError ${code}`).toBeInstanceOf(IrqError);
  expect((thrown as IrqError).code).toBe(code);
  return thrown as IrqError;
}

/** A snapshot of what routing looks like from outside: entries per GSI and reverse maps. */
export function routingView(vm: Vm, gsis: readonly number[], pins = 24): unknown {
  return {
    entries: gsis.map((g) => vm.entriesFor(g)),
    reverse: [EDGE, LEVEL].map((chip) =>
      Array.from({ length: pins }, (_, pin) => vm.gsiFor(chip, pin)),
    ),
  };
}
