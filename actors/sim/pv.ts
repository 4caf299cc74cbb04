/**
 * The process variables a CA server serves: a native type and maximum element count, the current values with alarm
 * and EPICS timestamp, display/alarm/control metadata, and the monitors to tell of changes (with the DBE mask of what
 * changed). Writes go through `onPut`, which may refuse them or move other PVs. Pure code.
 *
 * @module
 */
import type { CaType, DbrLimits, DbrMeta } from "../common/ca/dbr.ts";
import { DBE } from "../common/ca/messages.ts";

/** Alarm severities. */
export const SEVERITY = { NONE: 0, MINOR: 1, MAJOR: 2, INVALID: 3 } as const;
/** Alarm statuses used here (`alarm.h`). */
export const STATUS = { NONE: 0, HIHI: 3, HIGH: 4, LOLO: 5, LOW: 6, UDF: 17 } as const;

/** Now, ns since the epoch, with sub-millisecond resolution (so that puts within one millisecond differ). */
export function nowNs(): bigint {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.floor((ms - whole) * 1e6));
}

/** Values of a PV: numbers (whatever the numeric native type) or strings. */
export type PvValues = Float64Array | string[];

/** How to build a PV. */
export interface PvSpec {
  name: string;
  type: CaType;
  /** maximum element count (1 = scalar). */
  count?: number;
  units?: string;
  precision?: number;
  limits?: Partial<DbrLimits>;
  enumStrings?: string[];
  /** whether clients may write it. */
  writable?: boolean;
  /** initial value(s). */
  value?: number | string | number[];
}

/** Called with every change: the PV and the DBE bits of what changed. */
export type PvListener = (pv: Pv, mask: number) => void;

const NO_LIMITS: DbrLimits = {
  upperDisp: 0,
  lowerDisp: 0,
  upperAlarm: NaN,
  upperWarning: NaN,
  lowerWarning: NaN,
  lowerAlarm: NaN,
  upperCtrl: 0,
  lowerCtrl: 0,
};

/** One process variable. */
export class Pv {
  readonly name: string;
  readonly type: CaType;
  readonly maxCount: number;
  readonly writable: boolean;
  /** alarm, time and display metadata, kept current. */
  readonly meta: DbrMeta;
  values: PvValues;
  /** Validates and applies a client's write; returns false to refuse it (ECA_PUTFAIL). Default: set the value. */
  onPut: (values: PvValues) => boolean = (values) => (this.set(values), true);
  readonly #listeners = new Set<PvListener>();

  constructor(spec: PvSpec) {
    this.name = spec.name;
    this.type = spec.type;
    this.maxCount = spec.count ?? 1;
    this.writable = spec.writable ?? false;
    this.meta = {
      status: STATUS.NONE,
      severity: SEVERITY.NONE,
      timestampNs: nowNs(),
      units: spec.units ?? "",
      precision: spec.precision ?? 0,
      limits: { ...NO_LIMITS, ...spec.limits },
      enumStrings: spec.enumStrings ?? [],
    };
    const initial = spec.value ?? (spec.type === "string" ? "" : 0);
    const list = Array.isArray(initial) ? initial : [initial];
    this.values = spec.type === "string" ? list.map(String) : Float64Array.from(list.map(Number));
  }

  /** The current element count. */
  get count(): number {
    return this.values.length;
  }

  /** The first value (scalars). */
  get value(): number | string {
    return this.values[0];
  }

  /** Adds a listener; returns its removal. */
  listen(listener: PvListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Monitors attached now. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /**
   * Sets the values (cut to the maximum count), the alarm (by default from the alarm limits, for numeric scalars)
   * and the timestamp (default now); tells the listeners what changed.
   */
  set(
    values: PvValues | number | string,
    alarm?: { status: number; severity: number },
    timestampNs = nowNs(),
  ): void {
    const next: PvValues = typeof values === "number"
      ? Float64Array.of(values)
      : typeof values === "string"
      ? [values]
      : values.length > this.maxCount
      ? values.slice(0, this.maxCount)
      : values;
    const changed = next.length !== this.values.length || next.some((v, i) => v !== this.values[i]);
    const a = alarm ?? this.#alarmOf(next);
    const alarmChanged = a.status !== this.meta.status || a.severity !== this.meta.severity;
    this.values = next;
    this.meta.status = a.status;
    this.meta.severity = a.severity;
    this.meta.timestampNs = timestampNs;
    const mask = (changed ? DBE.VALUE | DBE.LOG : 0) | (alarmChanged ? DBE.ALARM : 0);
    if (mask) { for (const listener of this.#listeners) listener(this, mask); }
  }

  #alarmOf(values: PvValues): { status: number; severity: number } {
    const x = values[0];
    if (typeof x !== "number" || values.length !== 1) return { status: this.meta.status, severity: this.meta.severity };
    const l = this.meta.limits;
    if (x >= l.upperAlarm) return { status: STATUS.HIHI, severity: SEVERITY.MAJOR };
    if (x <= l.lowerAlarm) return { status: STATUS.LOLO, severity: SEVERITY.MAJOR };
    if (x >= l.upperWarning) return { status: STATUS.HIGH, severity: SEVERITY.MINOR };
    if (x <= l.lowerWarning) return { status: STATUS.LOW, severity: SEVERITY.MINOR };
    return { status: STATUS.NONE, severity: SEVERITY.NONE };
  }
}

/** The PVs of a server, by name. */
export class PvDirectory {
  readonly #pvs = new Map<string, Pv>();

  /** Adds a PV; throws when the name is taken. */
  add(spec: PvSpec): Pv {
    if (this.#pvs.has(spec.name)) throw new Error(`PV ${spec.name} exists already`);
    const pv = new Pv(spec);
    this.#pvs.set(spec.name, pv);
    return pv;
  }

  /** The PV of that name. */
  get(name: string): Pv | undefined {
    return this.#pvs.get(name);
  }

  /** Every PV name. */
  names(): string[] {
    return [...this.#pvs.keys()];
  }
}
