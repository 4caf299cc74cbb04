/**
 * The physical shape of the simulated neutron data. Pure code, seeded.
 *
 * - Detector (CAEN/BIFROST, 900 × 15 pixels: x = ring·300 + triplet·100 + position, y = arc·3 + tube): each of the
 *   five analyser arcs sees a different final energy, so its intensity falls with the arc (1 : 0.8 : … : 0.2) and its
 *   time-of-flight peaks arrive 1.5 ms later per arc; along each tube the intensity has a bright band at the middle
 *   (a Debye–Scherrer ring, σ = 12 positions) on a flat floor of 20%.
 * - Time of flight: three Bragg peaks at 20, 35 and 50 ms (σ = 0.4 ms) plus 10% flat background within the pulse
 *   period; the peak positions scale by 1 + 1e-3·(T − 295 K) with the sample temperature T — an exaggerated thermal
 *   expansion, so that a setpoint change of tens of kelvin moves the peaks visibly (by 1 ms per 50 K at 20 ms).
 * - Beam monitor: `monitorPerMa` events per second per mA of beam current, with times of flight around 15 ms
 *   (σ = 3 ms), on the monitor's pixel.
 *
 * @module
 */
import type { FamilyInstance } from "../efu/families/registry.ts";

/** Peak positions at the reference temperature, ns. */
export const PEAKS_NS = [20e6, 35e6, 50e6];
/** Reference temperature of {@linkcode PEAKS_NS}, K. */
export const REFERENCE_K = 295;
/** Relative peak shift per kelvin. */
export const SHIFT_PER_K = 1e-3;
const PEAK_SIGMA_NS = 0.4e6;
const ARC_DELAY_NS = 1.5e6;

/** Where the first peak of arc 0 is at temperature `kelvin`, ns. */
export function peakNs(kelvin: number, peak = 0, arc = 0): number {
  return PEAKS_NS[peak] * (1 + SHIFT_PER_K * (kelvin - REFERENCE_K)) + arc * ARC_DELAY_NS;
}

const PIXEL_TABLE = 1 << 20;
const NORMAL_TABLE = 1 << 16;

/**
 * Draws events of a detector: pixels from the image's weights (only pixels the family can write), and normal
 * deviates, both from tables built once (inverse CDF sampled at 2^20 points; 2^16 Box–Muller deviates), so that a
 * draw costs one random number: 1e6 events/s must fit in a fraction of a core.
 */
export class NeutronShape {
  readonly #pixels: Int32Array;
  readonly #normals: Float64Array;

  /**
   * @param family the detector family (pixels it cannot write are left out)
   * @param weight intensity of a pixel id (0 = never)
   */
  constructor(family: FamilyInstance, weight: (pixel: number) => number, readonly random: () => number) {
    const probe = new DataView(new ArrayBuffer(64));
    const pixels: number[] = [];
    const cdf: number[] = [];
    let sum = 0;
    for (let p = 1; p <= family.maxPixel; p++) {
      const w = weight(p);
      if (w > 0 && family.write(probe, 0, p, 0, 0)) pixels.push(p), cdf.push(sum += w);
    }
    if (pixels.length === 0) throw new RangeError("the detector has no pixel to simulate");
    this.#pixels = new Int32Array(PIXEL_TABLE);
    for (let j = 0, k = 0; j < PIXEL_TABLE; j++) {
      const u = ((j + 0.5) / PIXEL_TABLE) * sum;
      while (cdf[k] < u && k < cdf.length - 1) k++;
      this.#pixels[j] = pixels[k];
    }
    this.#normals = new Float64Array(NORMAL_TABLE);
    for (let j = 0; j < NORMAL_TABLE; j += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - random()));
      const a = 2 * Math.PI * random();
      this.#normals[j] = r * Math.cos(a);
      this.#normals[j + 1] = r * Math.sin(a);
    }
  }

  /** A pixel drawn from the image. */
  pixel(): number {
    return this.#pixels[(this.random() * PIXEL_TABLE) | 0];
  }

  /** A normal deviate. */
  gauss(): number {
    return this.#normals[(this.random() * NORMAL_TABLE) | 0];
  }
}

/** The BIFROST image weight of a pixel id (see the module doc). */
export function bifrostWeight(pixel: number): number {
  const x = (pixel - 1) % 900;
  const y = Math.floor((pixel - 1) / 900);
  const arc = Math.floor(y / 3);
  const position = x % 100;
  return (1 - 0.2 * arc) * (0.2 + Math.exp(-((position - 50) ** 2) / (2 * 12 ** 2)));
}

/** Fills `pixel`/`tof` with `n` detector events for a sample at `kelvin`, times of flight within `periodNs`. */
export function detectorEvents(
  shape: NeutronShape,
  n: number,
  kelvin: number,
  periodNs: number,
  pixel: Int32Array,
  tof: Int32Array,
): void {
  const peaks = PEAKS_NS.flatMap((_, k) => [0, 1, 2, 3, 4].map((arc) => peakNs(kelvin, k, arc)));
  for (let i = 0; i < n; i++) {
    const p = shape.pixel();
    pixel[i] = p;
    // one number picks background (10%) or a peak, and which
    const u = shape.random();
    let t: number;
    if (u < 0.1) t = shape.random() * periodNs;
    else {
      const arc = Math.floor((p - 1) / 2700);
      t = peaks[Math.floor(((u - 0.1) / 0.9) * peaks.length) * 5 + arc] + PEAK_SIGMA_NS * shape.gauss();
    }
    tof[i] = Math.min(Math.max(Math.round(t), 0), periodNs - 1);
  }
}

/** Fills `pixel`/`tof` with `n` beam monitor events around 15 ms. */
export function monitorEvents(shape: NeutronShape, n: number, periodNs: number, pixel: Int32Array, tof: Int32Array) {
  for (let i = 0; i < n; i++) {
    pixel[i] = shape.pixel();
    tof[i] = Math.min(Math.max(Math.round(15e6 + 3e6 * shape.gauss()), 0), periodNs - 1);
  }
}
