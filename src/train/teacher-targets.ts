import type {GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import {InterruptedError} from "../util/prism-error.js";
import {CompiledGraph} from "./compiled-graph.js";
import {NODES_PER_BLOCK, type GgmlModel} from "./ggml-model.js";
import {headChunkRows, NODES_PER_HEAD_CHUNK, outputForward} from "./output-head.js";
import type {TrainingExample} from "./training-example.js";
import {declareSequenceInputs, packSequences, transformerForward} from "./transformer-forward.js";
import {M_ROUND, T_ROUND} from "./micro-batch.js";

/**
 * What the teacher (the base model prompted with the persona) predicts at each answer token: its k most likely
 * tokens and their probabilities at temperature T, renormalised over the k. R answer tokens, row-major (R, k).
 */
export type TeacherTargets = {k: number, tokens: Int32Array, probs: Float32Array, /** Σ_k p·log p per row. */ pLogP: Float64Array};

export type TeacherTargetsOptions = {
    topK: number,
    temperature: number,
    /** Sequences per forward. Defaults to `4`. */
    batchSize?: number,
    onProgress?(done: number, total: number): void,
    signal?: AbortSignal
};

const roundUp = (n: number, r: number) => Math.ceil(n / r) * r;

/**
 * Runs the frozen base model on each example's teacher prompt (with the persona) followed by its answer, and keeps
 * the teacher's top-k distribution at every answer position. The student never sees these prompts.
 */
export async function computeTeacherTargets(model: GgmlModel, examples: readonly TrainingExample[], options: TeacherTargetsOptions): Promise<TeacherTargets[]> {
    const {topK: K, temperature} = options;
    const h = model.hparams;
    if (K > h.nVocab) throw new Error(`internal: top-k ${K} exceeds the vocabulary (${h.nVocab})`);
    const out = model.weights.output!;
    const batchSize = options.batchSize ?? 4;
    const order = examples.map((_, i) => i).sort((a, b) => length(examples[a]!) - length(examples[b]!));
    const results: TeacherTargets[] = new Array(examples.length);
    for (let start = 0; start < order.length; start += batchSize) {
        if (options.signal?.aborted) throw new InterruptedError("stopped while computing the teacher's targets (nothing was trained yet)");
        const ids = order.slice(start, start + batchSize);
        const batch = ids.map((i) => examples[i]!);
        const sequences = batch.map((e) => [...teacherPrompt(e), ...e.response]);
        const B = batch.length, T = roundUp(Math.max(...sequences.map((s) => s.length)), T_ROUND);
        const answerTokens = batch.reduce((n, e) => n + e.response.length, 0);
        const M = roundUp(answerTokens, M_ROUND);
        const rows = new Int32Array(M);
        let m = 0;
        batch.forEach((e, b) => {
            for (let i = 0; i < e.response.length; i++) rows[m++] = b * T + teacherPrompt(e).length + i - 1;
        });
        // The head runs in chunks of positions (outputs top.c, probs.c), so (V, M) logits never exist whole.
        const chunk = headChunkRows(h.nVocab), chunks = Math.ceil(M / chunk);
        const graph = CompiledGraph.build(model.ggml, model.backend, model.allocator, 64 + h.nLayer * NODES_PER_BLOCK + chunks * NODES_PER_HEAD_CHUNK, (ctx) => {
            const seq = declareSequenceInputs(ctx, B, T);
            const rowIdx = ctx.newTensor(GgmlType.I32, [M], "rows");
            const {hidden} = transformerForward(ctx, h, model.weights, seq, B, T);
            const outputs: Record<string, GgmlTensor> = {};
            for (let c = 0; c < chunks; c++) {
                const Mc = Math.min(chunk, M - c * chunk);
                const {logits} = outputForward(ctx, out, hidden, ctx.view(rowIdx, [Mc], c * chunk * 4), h.rmsEps);
                outputs[`top${c}`] = ctx.topK(logits, K);
                outputs[`probs${c}`] = ctx.getRows(ctx.reshape(ctx.softMax(logits, null, 1 / temperature), [1, h.nVocab, Mc]), outputs[`top${c}`]!);
            }
            return {inputs: {...seq, rows: rowIdx}, outputs};
        });
        try {
            await graph.run({...packSequences(sequences, T), rows});
            const top = new Int32Array(K * M), probs = new Float32Array(K * M);
            for (let c = 0; c < chunks; c++) {
                top.set(graph.readInt32(`top${c}`), c * chunk * K);
                probs.set(graph.read(`probs${c}`), c * chunk * K);
            }
            let row = 0;
            batch.forEach((e, b) => {
                const R = e.response.length;
                const targets: TeacherTargets = {k: K, tokens: top.slice(row * K, (row + R) * K), probs: probs.slice(row * K, (row + R) * K), pLogP: new Float64Array(R)};
                for (let r = 0; r < R; r++) renormalise(targets, r);
                results[ids[b]!] = targets;
                row += R;
            });
        } finally {
            graph.dispose();
        }
        options.onProgress?.(Math.min(start + batchSize, order.length), order.length);
    }
    return results;
}

function teacherPrompt(e: TrainingExample): number[] {
    if (!e.teacherPrompt) throw new Error(`internal: ${e.source} has no teacher prompt`);
    return e.teacherPrompt;
}

const length = (e: TrainingExample) => (e.teacherPrompt?.length ?? 0) + e.response.length;

/** Scales row r's k probabilities to sum to 1 and records Σ p·log p. */
function renormalise(t: TeacherTargets, r: number): void {
    const p = t.probs.subarray(r * t.k, (r + 1) * t.k);
    let sum = 0;
    for (const x of p) sum += x;
    let pLogP = 0;
    for (let i = 0; i < p.length; i++) {
        p[i] = p[i]! / sum;
        if (p[i]! > 0) pLogP += p[i]! * Math.log(p[i]!);
    }
    t.pLogP[r] = pLogP;
}
