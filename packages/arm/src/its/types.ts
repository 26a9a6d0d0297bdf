import type { VgicIrq } from '../gic/irq.js';
import type { VgicCpu } from '../vgic/vcpu.js';

/** An ITS collection (ICID → redistributor). `target` null: created by MAPTI, not yet mapped. */
export interface ItsCollection {
  /** Collection id. */
  readonly icid: number;
  /** The vCPU (RDbase = vCPU number, GITS_TYPER.PTA = 0) or null when unmapped. */
  target: VgicCpu | null;
}

/** An interrupt translation entry: EventID → LPI in a collection. */
export interface Ite {
  /** EventID. */
  readonly eventid: number;
  /** The LPI. */
  readonly irq: VgicIrq;
  /** Its collection; null once MAPC V=0 deleted it ("collection unmapped"). */
  collection: ItsCollection | null;
  /** The ICID it was mapped to (kept when the collection is deleted, for table saves). */
  icid: number;
}

/** A device mapped by MAPD. */
export interface ItsDevice {
  /** DeviceID. */
  readonly devid: number;
  /** EventID bits (MAPD Size + 1). */
  readonly eventIdBits: number;
  /** ITT address. */
  readonly ittAddr: number;
  /** ITEs by EventID. */
  readonly ites: Map<number, Ite>;
}

/** ITS command error codes (`E_ITS_*`, arm.md §5.2 table). */
export const ITS_ERR = {
  MOVI_UNMAPPED_INTERRUPT: 0x010107,
  MOVI_UNMAPPED_COLLECTION: 0x010109,
  INT_UNMAPPED_INTERRUPT: 0x010307,
  CLEAR_UNMAPPED_INTERRUPT: 0x010507,
  MAPD_DEVICE_OOR: 0x010801,
  MAPD_ITTSIZE_OOR: 0x010802,
  MAPC_PROCNUM_OOR: 0x010902,
  MAPC_COLLECTION_OOR: 0x010903,
  MAPTI_UNMAPPED_DEVICE: 0x010a04,
  MAPTI_ID_OOR: 0x010a05,
  MAPTI_PHYSICALID_OOR: 0x010a06,
  INV_UNMAPPED_INTERRUPT: 0x010c07,
  INVALL_UNMAPPED_COLLECTION: 0x010d09,
  MOVALL_PROCNUM_OOR: 0x010e01,
  DISCARD_UNMAPPED_INTERRUPT: 0x010f07,
} as const;

/** ITS command opcodes (DW0[7:0]). */
export const ITS_CMD = {
  MOVI: 0x01,
  INT: 0x03,
  CLEAR: 0x04,
  SYNC: 0x05,
  MAPD: 0x08,
  MAPC: 0x09,
  MAPTI: 0x0a,
  MAPI: 0x0b,
  INV: 0x0c,
  INVALL: 0x0d,
  MOVALL: 0x0e,
  DISCARD: 0x0f,
} as const;

/** GITS_TYPER: Physical, 8-byte ITEs, 16 EventID bits, 16 DeviceID bits, PTA = 0, CIL = 0. */
export const GITS_TYPER_LO: number = 1 | (7 << 4) | (15 << 8) | (15 << 13);
/** The ITS frame is two 64 KiB pages. */
export const ITS_FRAME_SIZE = 0x20000;
/** GITS_TRANSLATER offset: the canonical MSI doorbell. */
export const GITS_TRANSLATER = 0x10040;
/** The model's DeviceID and EventID limits (16 bits each). */
export const ITS_ID_BITS = 16;
