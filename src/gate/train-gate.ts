import {InvalidInputError, UsageError} from "../util/prism-error.js";
import {Rng} from "../util/rng.js";
import {binaryMetrics, type BinaryMetrics} from "./binary-metrics.js";
import {calibrateThreshold} from "./calibrate-threshold.js";
import {Gate, type GateCandidateReport, type GateKind} from "./gate.js";
import {GateFeatureDefinition} from "./gate-features.js";
import {heldOutSplit} from "./held-out-split.js";
import type {Mlp} from "./mlp.js";
import {Standardizer} from "./standardizer.js";
import {probabilities, resolveClassifierTraining, trainClassifier, type ClassifierTrainingOptions, type EpochReport, type LabelledMatrix} from "./train-classifier.js";

export type TrainGateOptions = {
    /** One feature vector per example, each of width `definition.width`. */
    features: readonly Float32Array[],
    /** 1 where the persona's answer won (use the adapter), 0 where the base answer won. */
    labels: ArrayLike<number>,
    /** Each example's domain; stratifies the split and gives per-domain held-out figures. */
    domains?: readonly string[],
    /** Which features these are. */
    definition: GateFeatureDefinition,
    /** The model the features came from. */
    modelFingerprint: string,
    /** `"auto"` trains the MLP and logistic regression and keeps the MLP unless logistic regression has the higher held-out AUC; the others train one. Defaults to `"auto"`. */
    kind?: "auto" | GateKind,
    /** Share of each (label, domain) group held out for early stopping, calibration and the reported metrics. Defaults to `0.2`. */
    heldOutShare?: number,
    /** An explicit held-out set (example indices) instead of the stratified split. */
    heldOutIndices?: readonly number[],
    /** `0.5`, another fixed value, or `"calibrate"`: the held-out threshold with the best balanced accuracy. Defaults to `0.5`. */
    threshold?: number | "calibrate",
    /** Seeds the split, the initialisation and the batch order. Defaults to `0`. */
    seed?: number,
    /** The MLP's training settings; `hiddenWidths` defaults to `[128, 64]`. */
    mlp?: ClassifierTrainingOptions,
    /** Logistic regression's training settings (`hiddenWidths` is ignored). Defaults: learning rate `1e-2`, the rest as the MLP's. */
    logreg?: Omit<ClassifierTrainingOptions, "hiddenWidths">,
    signal?: AbortSignal,
    onProgress?(p: EpochReport & {kind: GateKind}): void
};

export type TrainGateResult = {
    gate: Gate,
    /** Both candidates' held-out figures at 0.5 (only the trained ones with `kind` other than `"auto"`). */
    candidates: Partial<Record<GateKind, GateCandidateReport>>,
    /** The chosen gate on the held-out share, at its threshold. */
    heldOut: BinaryMetrics,
    perDomain?: Record<string, BinaryMetrics>,
    split: {train: number[], heldOut: number[]},
    /** The chosen gate's score for every example (training and held-out), in input order. */
    scores: Float64Array
};

/**
 * Trains the binary gate on features and labels: a stratified held-out split, standardisation fitted on the
 * training share, the MLP (C → 128 → 64 → 1) and its logistic-regression baseline trained with class-balanced
 * oversampling and early stopping, the choice between them, and the threshold.
 *
 * The held-out share does three jobs (early stopping, the choice, calibration) and also gives the reported
 * figures, so those are slightly optimistic; with a few hundred examples a separate test share would cost more
 * accuracy than it buys.
 */
export async function trainGate(options: TrainGateOptions): Promise<TrainGateResult> {
    const {features, labels, domains, definition, modelFingerprint, kind = "auto", heldOutShare = 0.2, seed = 0} = options;
    const threshold = options.threshold ?? 0.5;
    const C = definition.width;
    validate(options);
    // Resolved before any work, so a bad setting fails at once.
    const settings = {
        mlp: resolveClassifierTraining(options.mlp, "mlp"),
        logreg: resolveClassifierTraining({learningRate: 1e-2, ...options.logreg, hiddenWidths: []}, "logreg")
    };
    const rows = features.length;
    const x = new Float32Array(rows * C), y = Float32Array.from(labels);
    features.forEach((f, i) => x.set(f, i * C));

    const rng = new Rng(seed);
    const split = options.heldOutIndices ? explicitSplit(options.heldOutIndices, rows) : heldOutSplit({labels, domains, share: heldOutShare, rng: rng.fork("split")});
    for (const [name, part] of [["training", split.train], ["held-out", split.heldOut]] as const) {
        const positives = part.filter((i) => y[i] === 1).length;
        if (positives === 0 || positives === part.length) {
            throw new InvalidInputError("E_GATE_DATA", `gate training: the ${name} share has ${positives === 0 ? "no positive" : "no negative"} examples`, {hint: "each class needs examples on both sides of the split: generate more queries, or pass other heldOutIndices"});
        }
    }
    const standardizer = Standardizer.fit(x, C, split.train);
    const xs = standardizer.apply(x, rows);
    const pick = (indices: readonly number[]): LabelledMatrix => {
        const m = {x: new Float32Array(indices.length * C), y: new Float32Array(indices.length), rows: indices.length, width: C};
        indices.forEach((r, i) => {
            m.x.set(xs.subarray(r * C, (r + 1) * C), i * C);
            m.y[i] = y[r]!;
        });
        return m;
    };
    const train = pick(split.train), heldOut = pick(split.heldOut);

    const kinds: GateKind[] = kind === "auto" ? ["mlp", "logreg"] : [kind];
    const trained = new Map<GateKind, {net: Mlp, report: GateCandidateReport}>();
    for (const k of kinds) {
        const result = await trainClassifier(train, heldOut, settings[k], {
            rng: rng.fork(k), signal: options.signal, onEpoch: (r) => options.onProgress?.({...r, kind: k})
        });
        const heldOutScores = probabilities(result.net.logits(heldOut.x, heldOut.rows));
        trained.set(k, {net: result.net, report: {settings: result.settings, epochs: result.epochs, bestEpoch: result.bestEpoch, parameters: result.net.parameterCount, heldOut: binaryMetrics(heldOutScores, heldOut.y, 0.5)}});
    }
    const chosen: GateKind = kind !== "auto" ? kind
        : (trained.get("logreg")!.report.heldOut.auc ?? 0) > (trained.get("mlp")!.report.heldOut.auc ?? 0) ? "logreg" : "mlp";
    const net = trained.get(chosen)!.net;
    const scores = probabilities(net.logits(xs, rows));
    const heldOutScores = split.heldOut.map((i) => scores[i]!);
    const cut = threshold === "calibrate" ? calibrateThreshold(heldOutScores, heldOut.y).threshold : threshold;
    const heldOutMetrics = binaryMetrics(heldOutScores, heldOut.y, cut);
    const perDomain = domains ? metricsPerDomain(split.heldOut, domains, scores, y, cut) : undefined;
    const candidates = Object.fromEntries([...trained].map(([k, t]) => [k, t.report]));

    const gate = new Gate({
        kind: chosen, net, standardizer, threshold: cut, features: definition, modelFingerprint,
        training: {
            seed, examples: rows, positives: y.reduce((n, v) => n + v, 0), heldOutExamples: split.heldOut.length,
            heldOutShare: options.heldOutIndices ? null : heldOutShare,
            selection: kind, thresholdMethod: threshold === "calibrate" ? "balanced-accuracy" : "fixed",
            candidates, heldOut: heldOutMetrics, ...(perDomain ? {perDomain} : {})
        }
    });
    return {gate, candidates, heldOut: heldOutMetrics, ...(perDomain ? {perDomain} : {}), split, scores};
}

function validate(options: TrainGateOptions): void {
    const {features, labels, domains, definition} = options;
    const parsed = GateFeatureDefinition.safeParse(definition);
    if (!parsed.success) throw new UsageError(`gate training: definition: ${parsed.error.issues[0]!.message}`);
    if (options.kind !== undefined && !["auto", "mlp", "logreg"].includes(options.kind)) throw new UsageError(`gate training: kind must be "auto", "mlp" or "logreg" (got ${JSON.stringify(options.kind)})`);
    if (features.length !== labels.length) throw new UsageError(`gate training: ${features.length} feature vectors but ${labels.length} labels`);
    if (domains && domains.length !== labels.length) throw new UsageError(`gate training: ${domains.length} domains but ${labels.length} labels`);
    const share = options.heldOutShare ?? 0.2;
    if (!(share > 0 && share < 1)) throw new UsageError(`gate training: heldOutShare must be between 0 and 1 (got ${share})`);
    const t = options.threshold;
    if (typeof t === "number" && !(t >= 0 && t <= 1)) throw new UsageError(`gate training: threshold must be in [0, 1] or "calibrate" (got ${t})`);
    const counts = [0, 0];
    for (let i = 0; i < features.length; i++) {
        const f = features[i]!, label = labels[i];
        if (label !== 0 && label !== 1) throw new InvalidInputError("E_GATE_DATA", `gate training: label ${i} is ${label}, not 0 or 1`);
        counts[label]!++;
        if (f.length !== definition.width) throw new InvalidInputError("E_GATE_DATA", `gate training: feature vector ${i} has width ${f.length}, the definition says ${definition.width}`, {hint: "extract all features with the same model and feature definition"});
        for (let c = 0; c < f.length; c++) {
            if (!Number.isFinite(f[c]!)) throw new InvalidInputError("E_GATE_DATA", `gate training: feature vector ${i} has a non-finite value at ${c} (${f[c]})`, {hint: "the model produced NaN or infinite hidden states: check the model file"});
        }
    }
    if (counts[0]! < 2 || counts[1]! < 2) {
        throw new InvalidInputError("E_GATE_DATA", `gate training needs at least 2 examples of each class (persona won ${counts[1]}, base won ${counts[0]})`, {
            hint: "generate more queries per domain; if the persona never (or always) wins, the gate has nothing to learn"
        });
    }
}

function explicitSplit(heldOutIndices: readonly number[], rows: number): {train: number[], heldOut: number[]} {
    const isHeldOut = new Uint8Array(rows);
    for (const i of heldOutIndices) {
        if (!Number.isInteger(i) || i < 0 || i >= rows) throw new UsageError(`gate training: heldOutIndices has ${i}, outside 0..${rows - 1}`);
        isHeldOut[i] = 1;
    }
    const train: number[] = [], heldOut: number[] = [];
    for (let i = 0; i < rows; i++) (isHeldOut[i] ? heldOut : train).push(i);
    return {train, heldOut};
}

function metricsPerDomain(heldOut: readonly number[], domains: readonly string[], scores: Float64Array, y: Float32Array, threshold: number): Record<string, BinaryMetrics> {
    const byDomain = new Map<string, number[]>();
    for (const i of heldOut) {
        const d = domains[i]!;
        if (!byDomain.has(d)) byDomain.set(d, []);
        byDomain.get(d)!.push(i);
    }
    return Object.fromEntries([...byDomain].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([d, idx]) => [d, binaryMetrics(idx.map((i) => scores[i]!), idx.map((i) => y[i]!), threshold)]));
}
