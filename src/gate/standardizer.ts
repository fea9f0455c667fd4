/**
 * Per-feature standardisation, fitted on the training share and saved with the gate. Hidden states have a few
 * channels hundreds of times larger than the rest; without this they would dominate the first layer.
 */
export class Standardizer {
    /** (C) */
    readonly mean: Float32Array;
    /** (C) population standard deviation; a constant feature keeps 1 so it maps to 0 rather than to infinity. */
    readonly std: Float32Array;

    constructor(mean: Float32Array, std: Float32Array) {
        if (mean.length !== std.length) throw new RangeError(`Standardizer: mean has ${mean.length} values, std ${std.length}`);
        this.mean = mean;
        this.std = std;
    }

    get width(): number {
        return this.mean.length;
    }

    /** Fits on `rows` of x (rows, C), taking only the listed rows when `indices` is given. */
    static fit(x: Float32Array, width: number, indices: readonly number[]): Standardizer {
        const mean = new Float64Array(width), sq = new Float64Array(width);
        for (const r of indices) {
            const base = r * width;
            for (let c = 0; c < width; c++) mean[c]! += x[base + c]!;
        }
        for (let c = 0; c < width; c++) mean[c]! /= indices.length;
        // Two passes: sum of squared deviations, which does not cancel catastrophically on large-mean channels.
        for (const r of indices) {
            const base = r * width;
            for (let c = 0; c < width; c++) {
                const d = x[base + c]! - mean[c]!;
                sq[c]! += d * d;
            }
        }
        const std = new Float32Array(width);
        for (let c = 0; c < width; c++) {
            const s = Math.sqrt(sq[c]! / indices.length);
            std[c] = s > 1e-12 * Math.max(1, Math.abs(mean[c]!)) ? s : 1;
        }
        return new Standardizer(Float32Array.from(mean), std);
    }

    /** (x − mean) / std for each row of x (rows, C), into a new array. */
    apply(x: Float32Array, rows: number): Float32Array {
        const C = this.width, out = new Float32Array(rows * C);
        for (let r = 0; r < rows; r++) {
            const base = r * C;
            for (let c = 0; c < C; c++) out[base + c] = (x[base + c]! - this.mean[c]!) / this.std[c]!;
        }
        return out;
    }
}
