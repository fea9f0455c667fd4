import type {Rng} from "../util/rng.js";
import type {DropoutPool} from "./dropout-pool.js";
import type {LoraModuleShape} from "./lora-tensors.js";
import type {TeacherTargets} from "./teacher-targets.js";
import type {TrainingExample} from "./training-example.js";
import {packSequences} from "./transformer-forward.js";
import {dropoutInputName, type TrainingGraphInput, type TrainingShape} from "./training-graph.js";

/** Sequence lengths and scored rows are rounded up to these, so a few graph shapes serve a whole run. */
export const T_ROUND = 16;
export const M_ROUND = 16;

export type MicroBatchOptions = {
    /** Loss weight of each answer token, per objective (already divided by the step's answer tokens). */
    tokenWeight: {sft: number, distill: number},
    temperature: number,
    topK: number,
    /** With dropout: the pool and the adapted modules (one index input each), and the rng that picks rows. */
    dropout?: {pool: DropoutPool, modules: readonly LoraModuleShape[], rng: Rng},
    /** Build for evaluation (losses only). Defaults to `false`. */
    evaluation?: boolean
};

export type MicroBatch = {
    shape: TrainingShape,
    inputs: Partial<Record<TrainingGraphInput, ArrayBufferView>>,
    /** Σ_rows w·T²·Σ_k p·log p: the part of the distillation loss the graph leaves out (it does not depend on the student). */
    distillConstant: number,
    answerTokens: number,
    sequenceTokens: number
};

const roundUp = (n: number, r: number) => Math.ceil(n / r) * r;

/**
 * The graph inputs of one micro-batch: sequences right-padded to a common length, the positions that predict an
 * answer token (position p predicts token p + 1), their labels, the teacher's top-k there, and per-row weights
 * (zero on the padding rows).
 */
export function buildMicroBatch(examples: readonly TrainingExample[], teachers: readonly (TeacherTargets | undefined)[], options: MicroBatchOptions): MicroBatch {
    const sequences = examples.map((e) => [...e.prompt, ...e.response]);
    const B = examples.length;
    const T = roundUp(Math.max(...sequences.map((s) => s.length)), T_ROUND);
    const answerTokens = examples.reduce((n, e) => n + e.response.length, 0);
    const M = roundUp(answerTokens, M_ROUND);
    const {tokenWeight: w, topK: K} = options;
    const sft = w.sft > 0, distill = w.distill > 0;
    const rows = new Int32Array(M), labels = new Int32Array(M);
    const sftWeights = new Float32Array(M), distillWeights = new Float32Array(M);
    const teacherTokens = distill ? new Int32Array(K * M) : undefined;
    const teacherProbs = distill ? new Float32Array(K * M) : undefined;
    let m = 0, distillConstant = 0;
    examples.forEach((e, b) => {
        const teacher = teachers[b];
        if (distill && (!teacher || teacher.k !== K)) throw new Error(`internal: no teacher targets for ${e.source}`);
        for (let i = 0; i < e.response.length; i++, m++) {
            rows[m] = b * T + e.prompt.length + i - 1;
            labels[m] = e.response[i]!;
            sftWeights[m] = w.sft;
            if (distill && teacher) {
                distillWeights[m] = w.distill;
                teacherTokens!.set(teacher.tokens.subarray(i * K, (i + 1) * K), m * K);
                teacherProbs!.set(teacher.probs.subarray(i * K, (i + 1) * K), m * K);
                distillConstant += w.distill * options.temperature ** 2 * teacher.pLogP[i]!;
            }
        }
    });
    // Padding rows point at token 0 with weight 0; their teacher rows need distinct tokens for the scatter.
    for (; m < M; m++) if (teacherTokens) for (let k = 0; k < K; k++) teacherTokens[m * K + k] = k;

    const inputs: MicroBatch["inputs"] = {...packSequences(sequences, T), rows};
    if (sft) Object.assign(inputs, {labels, sftWeights});
    if (distill) Object.assign(inputs, {teacherTokens, teacherProbs, distillWeights});
    if (options.dropout) {
        const {pool, modules, rng} = options.dropout;
        for (const mod of modules) inputs[dropoutInputName(mod.layer, mod.target)] = pool.sampleRows(B * T, rng);
    }
    return {
        shape: {B, T, M, K: distill ? K : 0, sft, distill, dropout: options.dropout !== undefined, backward: !options.evaluation},
        inputs, distillConstant, answerTokens, sequenceTokens: sequences.reduce((n, s) => n + s.length, 0)
    };
}
