import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlBuffer} from "../ggml/ggml-buffer.js";
import {GgmlContext} from "../ggml/ggml-context.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import type {Rng} from "../util/rng.js";

export type DropoutPoolOptions = {
    /** Input widths of the adapted projections (one pool per distinct width). */
    widths: readonly number[],
    /** Dropout probability p. */
    probability: number,
    /** What a kept entry is multiplied by besides 1 / (1 − p) (the LoRA scale rides on the mask). Defaults to `1`. */
    scale?: number,
    /** Mask rows per pool. Defaults to `1024`. */
    rows?: number,
    rng: Rng
};

/**
 * ggml has no random-number op, so dropout masks come from pools of random rows made once on the backend: each
 * step, every token of every adapted module picks a row at random (an index input), and the row is its mask,
 * with entries 0 (probability p) or scale / (1 − p).
 */
export class DropoutPool {
    private constructor(private readonly pools: Map<number, GgmlTensor>, readonly rows: number, private readonly ctx: GgmlContext, private readonly buffer: GgmlBuffer) {}

    static create(ggml: Ggml, backend: GgmlBackend, options: DropoutPoolOptions): DropoutPool {
        const rows = options.rows ?? 1024;
        const widths = [...new Set(options.widths)];
        const ctx = GgmlContext.create(ggml, {maxTensors: widths.length});
        const pools = new Map(widths.map((w) => [w, ctx.newTensor(GgmlType.F32, [w, rows], `dropout_pool_${w}`)] as const));
        const buffer = backend.allocateTensors(ctx);
        const keep = 1 - options.probability, kept = (options.scale ?? 1) / keep;
        for (const [w, t] of pools) ggml.write(t, Float32Array.from({length: w * rows}, () => (options.rng.next() < keep ? kept : 0)));
        return new DropoutPool(pools, rows, ctx, buffer);
    }

    /** The pool of masks of this width: F32 (width, rows). */
    pool(width: number): GgmlTensor {
        const t = this.pools.get(width);
        if (!t) throw new Error(`internal: no dropout pool of width ${width}`);
        return t;
    }

    /** Random row indices for N tokens. */
    sampleRows(n: number, rng: Rng): Int32Array {
        return Int32Array.from({length: n}, () => rng.int(this.rows));
    }

    dispose(): void {
        this.buffer.dispose();
        this.ctx.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }
}
