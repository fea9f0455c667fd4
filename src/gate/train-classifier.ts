import {z} from "zod";
import {InterruptedError, UsageError} from "../util/prism-error.js";
import type {Rng} from "../util/rng.js";
import {AdamW} from "./adam-w.js";
import {Mlp, sigmoid} from "./mlp.js";

/** Examples as one matrix: x (rows, width) row-major, y (rows) of 0/1. */
export type LabelledMatrix = {x: Float32Array, y: Float32Array, rows: number, width: number};

/** How one classifier is trained. Validated when resolved; an error names the field and the value it got. */
export const ClassifierTraining = z.object({
    /** Hidden layer widths; `[]` is logistic regression. Defaults to `[128, 64]`. */
    hiddenWidths: z.array(z.number().int().positive()).default([128, 64]),
    /** Adam step size. Defaults to `1e-3`. */
    learningRate: z.number().positive().default(1e-3),
    /** Decoupled weight decay on the weights (not the biases). Defaults to `1e-2`. */
    weightDecay: z.number().min(0).default(1e-2),
    /** Examples per step. Defaults to `32`. */
    batchSize: z.number().int().positive().default(32),
    /** Passes over the balanced training set at most. Defaults to `200`. */
    maxEpochs: z.number().int().positive().default(200),
    /** Stop after this many epochs without a better held-out loss, and keep the best epoch's weights. Defaults to `10`. */
    patience: z.number().int().positive().default(10)
}).strict();
export type ClassifierTrainingOptions = z.input<typeof ClassifierTraining>;
export type ClassifierTrainingSettings = z.output<typeof ClassifierTraining>;

/** Fills in the defaults and validates; `label` names the settings in the error (e.g. "mlp"). */
export function resolveClassifierTraining(input: ClassifierTrainingOptions = {}, label = "training"): ClassifierTrainingSettings {
    const parsed = ClassifierTraining.safeParse(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
    if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.join(".");
        const got = field ? (input as Record<string, unknown>)[String(issue.path[0])] : undefined;
        throw new UsageError(`gate training: ${label}${field ? `.${field}` : ""}: ${issue.message}${got === undefined ? "" : ` (got ${JSON.stringify(got)})`}`);
    }
    return parsed.data;
}

export type EpochReport = {epoch: number, trainLoss: number, heldOutLoss: number};

export type TrainClassifierResult = {
    net: Mlp,
    settings: ClassifierTrainingSettings,
    /** Epochs run (the last one may be past the best). */
    epochs: number,
    /** The epoch whose weights were kept (1-based). */
    bestEpoch: number,
    /** Class-balanced log-loss on the held-out share at the best epoch. */
    heldOutLoss: number,
    history: EpochReport[]
};

/**
 * Trains one network with binary cross-entropy. Each epoch is a fresh shuffle of the training rows with the
 * smaller class oversampled (drawn again with replacement) up to the larger one's count, so both classes weigh the
 * same. After each epoch the held-out share's class-balanced log-loss (the mean of the two classes' mean losses:
 * the quantity training minimises, measured on unseen rows) decides early stopping; the best epoch's weights are
 * restored at the end. The loop yields to the event loop once an epoch, so an abort signal is seen.
 */
export async function trainClassifier(train: LabelledMatrix, heldOut: LabelledMatrix, cfg: ClassifierTrainingSettings, options: {
    rng: Rng,
    signal?: AbortSignal,
    onEpoch?(report: EpochReport): void
}): Promise<TrainClassifierResult> {
    const {rng, signal} = options;
    const C = train.width, B = cfg.batchSize;
    const net = Mlp.create({inputWidth: C, hiddenWidths: cfg.hiddenWidths, rng: rng.fork("init")});
    const params = net.parameters();
    const optimizer = new AdamW(params, {lr: cfg.learningRate, weightDecay: cfg.weightDecay, decays: params.map((_, j) => j % 2 === 0)});
    const grads = net.zeroGradients();
    const best = net.clone();
    const order = rng.fork("order");
    const xb = new Float32Array(B * C), yb = new Float32Array(B);
    let bestLoss = Infinity, bestEpoch = 0, epoch = 0;
    const history: EpochReport[] = [];

    for (epoch = 1; epoch <= cfg.maxEpochs; epoch++) {
        const rows = balancedEpoch(train.y, train.rows, order);
        let lossSum = 0;
        for (let start = 0; start < rows.length; start += B) {
            const n = Math.min(B, rows.length - start);
            for (let b = 0; b < n; b++) {
                const r = rows[start + b]!;
                xb.set(train.x.subarray(r * C, (r + 1) * C), b * C);
                yb[b] = train.y[r]!;
            }
            lossSum += net.lossAndGradients(xb, yb, n, grads) * n;
            optimizer.step(grads);
        }
        const report = {epoch, trainLoss: lossSum / rows.length, heldOutLoss: balancedLogLoss(net.logits(heldOut.x, heldOut.rows), heldOut.y)};
        history.push(report);
        options.onEpoch?.(report);
        if (report.heldOutLoss < bestLoss - 1e-6) {
            bestLoss = report.heldOutLoss;
            bestEpoch = epoch;
            best.copyFrom(net);
        } else if (epoch - bestEpoch >= cfg.patience) break;
        await new Promise((resolve) => setImmediate(resolve));
        if (signal?.aborted) throw new InterruptedError("gate training interrupted", {hint: "run it again: gate training is deterministic and takes seconds"});
    }
    return {net: best, settings: cfg, epochs: Math.min(epoch, cfg.maxEpochs), bestEpoch, heldOutLoss: bestLoss, history};
}

/** Row indices for one epoch: every row once, plus random repeats of the smaller class up to the larger one's count; shuffled. */
export function balancedEpoch(y: Float32Array, rows: number, rng: Rng): number[] {
    const byClass: number[][] = [[], []];
    for (let r = 0; r < rows; r++) byClass[y[r] === 1 ? 1 : 0]!.push(r);
    const [small, large] = byClass[0]!.length <= byClass[1]!.length ? [byClass[0]!, byClass[1]!] : [byClass[1]!, byClass[0]!];
    const out = [...byClass[0]!, ...byClass[1]!];
    if (small.length > 0) for (let i = small.length; i < large.length; i++) out.push(small[rng.int(small.length)]!);
    return rng.shuffle(out);
}

/** The mean over the classes present of each class's mean binary cross-entropy, from logits. */
export function balancedLogLoss(logits: Float32Array, y: Float32Array): number {
    const sum = [0, 0], count = [0, 0];
    for (let i = 0; i < logits.length; i++) {
        const z = logits[i]!, label = y[i] === 1 ? 1 : 0;
        sum[label]! += Math.max(z, 0) - z * label + Math.log1p(Math.exp(-Math.abs(z)));
        count[label]!++;
    }
    const means = [0, 1].filter((c) => count[c]! > 0).map((c) => sum[c]! / count[c]!);
    return means.length === 0 ? 0 : means.reduce((a, b) => a + b, 0) / means.length;
}

/** Probabilities from logits. */
export function probabilities(logits: Float32Array): Float64Array {
    return Float64Array.from(logits, sigmoid);
}
