import {Rng} from "../util/rng.js";

export type BatchPlanOptions = {
    /** Tokens per example (prompt + answer), for grouping similar lengths. */
    lengths: readonly number[],
    batchSize: number,
    gradAccum: number,
    epochs: number,
    /** Stop after this many steps (0: all epochs). */
    maxSteps: number,
    seed: number
};

/** Micro-batches per pool of examples sorted by length: large enough to cut padding, small enough to keep order random. */
const GROUP_BATCHES = 16;

/**
 * Which examples each optimiser step trains on. Each epoch shuffles the examples (seeded by the epoch, so any step's
 * batches can be recomputed on resume), sorts each pool of 16 micro-batches by length so a micro-batch pads little,
 * and shuffles the micro-batches.
 */
export class BatchPlan {
    readonly stepsPerEpoch: number;
    readonly totalSteps: number;
    private readonly epochs = new Map<number, number[][]>();

    constructor(private readonly options: BatchPlanOptions) {
        const n = options.lengths.length;
        const microBatches = Math.ceil(n / options.batchSize);
        this.stepsPerEpoch = Math.ceil(microBatches / options.gradAccum);
        const all = this.stepsPerEpoch * options.epochs;
        this.totalSteps = options.maxSteps > 0 ? Math.min(options.maxSteps, all) : all;
    }

    /** The micro-batches (lists of example indices) of a step, counted from 0. */
    microBatches(step: number): number[][] {
        const epoch = Math.floor(step / this.stepsPerEpoch), within = step % this.stepsPerEpoch;
        const g = this.options.gradAccum;
        return this.epoch(epoch).slice(within * g, (within + 1) * g);
    }

    epochOf(step: number): number {
        return Math.floor(step / this.stepsPerEpoch);
    }

    private epoch(e: number): number[][] {
        let batches = this.epochs.get(e);
        if (batches) return batches;
        const {lengths, batchSize} = this.options;
        const rng = new Rng(this.options.seed).fork(`epoch-${e}`);
        const order = rng.shuffle(lengths.map((_, i) => i));
        batches = [];
        const pool = batchSize * GROUP_BATCHES;
        for (let p = 0; p < order.length; p += pool) {
            const group = order.slice(p, p + pool).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
            for (let i = 0; i < group.length; i += batchSize) batches.push(group.slice(i, i + batchSize));
        }
        rng.shuffle(batches);
        this.epochs.clear();
        this.epochs.set(e, batches);
        return batches;
    }
}
