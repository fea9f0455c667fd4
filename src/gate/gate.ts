import {z} from "zod";
import {BinaryMetrics} from "./binary-metrics.js";
import {ClassifierTraining} from "./train-classifier.js";
import type {GateFeatureDefinition} from "./gate-features.js";
import {sigmoid, type Mlp} from "./mlp.js";
import type {Standardizer} from "./standardizer.js";

export const GateKind = z.enum(["mlp", "logreg"]);
export type GateKind = z.infer<typeof GateKind>;

/** One candidate classifier's training outcome, evaluated on the held-out share at threshold 0.5. */
export const GateCandidateReport = z.object({
    /** The training settings it ran with (defaults filled in). */
    settings: ClassifierTraining,
    epochs: z.number().int().min(0),
    bestEpoch: z.number().int().min(0),
    parameters: z.number().int().min(0),
    heldOut: BinaryMetrics
});
export type GateCandidateReport = z.infer<typeof GateCandidateReport>;

/** How a gate was trained and how well it did; saved in the gate file for summaries. */
export const GateTrainingInfo = z.object({
    seed: z.number(),
    examples: z.number().int().min(0),
    positives: z.number().int().min(0),
    heldOutExamples: z.number().int().min(0),
    /** The share held out by the stratified split; `null` for an explicit held-out set. */
    heldOutShare: z.number().nullable(),
    /** What was asked for: `"auto"` trains both and keeps the MLP unless logistic regression has the better held-out AUC. */
    selection: z.enum(["auto", ...GateKind.options]),
    thresholdMethod: z.enum(["fixed", "balanced-accuracy"]),
    candidates: z.object({mlp: GateCandidateReport.optional(), logreg: GateCandidateReport.optional()}),
    /** The chosen classifier on the held-out share, at the gate's threshold. */
    heldOut: BinaryMetrics,
    /** The same per domain, when domains were given. */
    perDomain: z.record(z.string(), BinaryMetrics).optional()
});
export type GateTrainingInfo = z.infer<typeof GateTrainingInfo>;

export type GateDecision = {useAdapter: boolean, score: number};

export type GateInit = {
    kind: GateKind,
    net: Mlp,
    standardizer: Standardizer,
    /** The adapter is used when score ≥ threshold. ±Infinity force base (+∞) or adapter (−∞) in memory; files keep [0, 1]. */
    threshold: number,
    features: GateFeatureDefinition,
    modelFingerprint: string,
    training?: GateTrainingInfo,
    /** ISO time. Defaults to now. */
    createdAt?: string
};

/**
 * A trained binary gate: standardise the features, run the classifier, and use the adapter when the probability
 * that the persona helps is at least the threshold. Immutable; `withThreshold` makes a copy.
 */
export class Gate {
    readonly kind: GateKind;
    readonly net: Mlp;
    readonly standardizer: Standardizer;
    readonly threshold: number;
    readonly features: GateFeatureDefinition;
    readonly modelFingerprint: string;
    readonly training?: GateTrainingInfo;
    readonly createdAt: string;

    constructor(init: GateInit) {
        if (init.standardizer.width !== init.features.width || init.net.inputWidth !== init.features.width) {
            throw new RangeError(`Gate: feature width ${init.features.width}, standardizer ${init.standardizer.width}, classifier input ${init.net.inputWidth} must agree`);
        }
        if (Number.isNaN(init.threshold)) throw new RangeError("Gate: threshold is NaN");
        this.kind = init.kind;
        this.net = init.net;
        this.standardizer = init.standardizer;
        this.threshold = init.threshold;
        this.features = init.features;
        this.modelFingerprint = init.modelFingerprint;
        this.training = init.training;
        this.createdAt = init.createdAt ?? new Date().toISOString();
    }

    /** The probability (0..1) that the adapter helps, for one feature vector. */
    score(features: Float32Array): number {
        return this.scoreMatrix(features, 1)[0]!;
    }

    /** Scores of many feature vectors (each of the gate's width). */
    scoreMany(features: readonly Float32Array[]): Float64Array {
        const C = this.features.width, x = new Float32Array(features.length * C);
        features.forEach((f, i) => {
            if (f.length !== C) throw new RangeError(`Gate: feature vector ${i} has width ${f.length}, the gate expects ${C}`);
            x.set(f, i * C);
        });
        return this.scoreMatrix(x, features.length);
    }

    /** Scores of x (rows, C). */
    scoreMatrix(x: Float32Array, rows: number): Float64Array {
        if (x.length !== rows * this.features.width) throw new RangeError(`Gate: expected ${rows}×${this.features.width} features, got ${x.length} values`);
        const logits = this.net.logits(this.standardizer.apply(x, rows), rows);
        return Float64Array.from(logits, sigmoid);
    }

    decide(features: Float32Array): GateDecision {
        const score = this.score(features);
        return {useAdapter: score >= this.threshold, score};
    }

    withThreshold(threshold: number): Gate {
        return new Gate({...this, threshold});
    }
}
