import {saveGate} from "../gate/gate-file.js";
import {partialForwardFeatures} from "../gate/partial-forward-features.js";
import {loadChatTokenizer} from "../engine/load-chat-tokenizer.js";
import {trainGate} from "../gate/train-gate.js";
import {InvalidInputError, PrismError} from "../util/prism-error.js";
import {DatasetRecord, type GateScoreRecord} from "./run-records.js";
import type {StageContext, StageResult} from "./stage-context.js";

/**
 * Stage 7. The gate learns where the persona helps: for every query (distill: label 1, retain: label 0) the hidden
 * state of the prompt's last token after the first block (the query alone, as requests arrive: no persona), then
 * trainGate (the MLP and its logistic-regression baseline, class-balanced, early-stopped on the held-out share of
 * stage 2, threshold 0.5 or calibrated there). Saves the gate with its feature definition and the model's
 * fingerprint, and every query's score.
 */
export async function gateStage(ctx: StageContext): Promise<StageResult> {
    const {config} = ctx;
    const examples = [...await ctx.run.readRecords("distill", DatasetRecord), ...await ctx.run.readRecords("retain", DatasetRecord)]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const tokenizer = await loadChatTokenizer(ctx.modelPath);
    let vectors: Float32Array[], features: Awaited<ReturnType<typeof partialForwardFeatures>> | undefined;
    try {
        features = await partialForwardFeatures({modelPath: ctx.modelPath, tokenizer, threads: ctx.threads, device: ctx.device});
        ctx.log(`features: ${features.definition.position} after block ${features.definition.layer - 1}, width ${features.definition.width}`);
        // The query alone, as requests arrive (no persona).
        vectors = await features.extractMany(examples.map((e) => [e.messages[0]!]), {signal: ctx.signal, onProgress: (done) => ctx.progress(done, examples.length)});
    } finally {
        features?.dispose();
        await tokenizer.dispose();
    }
    const heldOutIndices = examples.flatMap((e, i) => (e.split === "heldOut" ? [i] : []));
    let trained: Awaited<ReturnType<typeof trainGate>>;
    try {
        trained = await trainGate({
            features: vectors, labels: examples.map((e) => e.label), domains: examples.map((e) => e.domain),
            definition: features.definition, modelFingerprint: features.modelFingerprint,
            kind: config.gate.kind, threshold: config.gate.threshold, heldOutIndices, seed: config.seed, signal: ctx.signal
        });
    } catch (err) {
        if (PrismError.isInstance(err) && err.code === "E_GATE_DATA") {
            throw new InvalidInputError("E_GATE_DATA", `${err.message} (held-out share: ${heldOutIndices.length} of ${examples.length} queries)`, {
                cause: err, hint: "the held-out share needs persona wins and base wins alike: generate more queries (--queries-per-intent), or raise --held-out"
            });
        }
        throw err;
    }
    const {gate, scores} = trained;
    await saveGate(ctx.run.path("gate"), gate);
    ctx.run.replaceRecords("gateScores", examples.map((e, i): GateScoreRecord => ({
        id: e.id, domain: e.domain, split: e.split, label: e.label, score: scores[i]!, routed: scores[i]! >= gate.threshold ? "adapter" : "base"
    })));
    const heldOut = trained.heldOut;
    return {
        counts: {examples: examples.length, positives: gate.training?.positives ?? 0, heldOut: heldOutIndices.length},
        details: {
            kind: gate.kind, threshold: gate.threshold, features: gate.features,
            heldOut: {accuracy: heldOut.accuracy, auc: heldOut.auc, balancedAccuracy: heldOut.balancedAccuracy},
            candidates: Object.fromEntries(Object.entries(trained.candidates).map(([k, c]) => [k, {auc: c.heldOut.auc, accuracy: c.heldOut.accuracy}]))
        }
    };
}
