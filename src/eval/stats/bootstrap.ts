import {Rng} from "../../util/rng.js";

export type ConfidenceInterval = {low: number, high: number};

export type BootstrapOptions = {
    /** Resamples. Defaults to `2000`. */
    iterations?: number,
    /** Two-sided coverage. Defaults to `0.95`. */
    confidence?: number,
    /** Defaults to `0`: the same data give the same interval. */
    seed?: number
};

export function mean(values: readonly number[]): number {
    let s = 0;
    for (const v of values) s += v;
    return values.length === 0 ? NaN : s / values.length;
}

/**
 * Percentile bootstrap confidence interval of the mean: resample the values with replacement, take the mean of each
 * resample, and read the interval off the sorted means. An empty sample gives NaN bounds; one value gives a point.
 */
export function bootstrapMeanCi(values: readonly number[], options: BootstrapOptions = {}): ConfidenceInterval {
    const n = values.length;
    if (n === 0) return {low: NaN, high: NaN};
    const iterations = options.iterations ?? 2000;
    const rng = new Rng(options.seed ?? 0);
    const means = new Float64Array(iterations);
    for (let b = 0; b < iterations; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += values[rng.int(n)]!;
        means[b] = s / n;
    }
    means.sort();
    const alpha = 1 - (options.confidence ?? 0.95);
    return {low: quantileSorted(means, alpha / 2), high: quantileSorted(means, 1 - alpha / 2)};
}

/**
 * The change `treatment − control` over paired items (the same questions under two conditions), with a bootstrap
 * interval that resamples items, so per-item difficulty cancels out.
 */
export function pairedDelta(control: readonly number[], treatment: readonly number[], options: BootstrapOptions = {}): {delta: number, ci: ConfidenceInterval} {
    if (control.length !== treatment.length) throw new Error(`paired samples differ in length: ${control.length} vs ${treatment.length}`);
    const diffs = treatment.map((t, i) => t - control[i]!);
    return {delta: mean(diffs), ci: bootstrapMeanCi(diffs, options)};
}

/** Linear interpolation between order statistics (numpy's default "linear" method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
    const n = sorted.length;
    if (n === 0) return NaN;
    const pos = (n - 1) * q;
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
