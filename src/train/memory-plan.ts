import type {GgufFile} from "../model/gguf-file.js";
import {projectionShape, readModelHparams, type ModelHparams} from "../model/model-hparams.js";
import {loraLayers} from "../lora/lora-config.js";
import {HEAD_CHUNK_BYTES} from "./output-head.js";
import type {TrainConfig} from "./train-config.js";
import {TRANSPOSE_SLICE_WEIGHTS} from "./transposed-weights.js";

/**
 * What each stage of a run needs in memory and on disk, estimated from the model's hparams and tensor types (as
 * GgufFile reads them, split files included) and the run's settings, before anything loads.
 *
 * Calibration. The training figures are first principles (weights as stored, 16 bytes a LoRA parameter, one Wᵀ
 * slice, a few output-head chunks, F32 activations) plus two constants fitted to measured peak RSS:
 * - RUNTIME_BYTES, what the process holds besides those (Node, koffi, node-llama-cpp's libraries, ggml's CPU
 *   backend, allocator slack). `npm run bench:memory` (3 blocks of Qwen2.5-7B's shapes, Q4_K_M, 2026-12-04): fixed
 *   1,775,022,080 bytes at 0 tokens, less its weights (1,164,392,960), two blocks' LoRA state (46 MB), the Wᵀ slice
 *   (96 MiB) and three head chunks (192 MiB), leaves 251 MiB; test/memory-plan.test.ts's run (one such block, 2 × 32
 *   tokens) leaves about 244 MiB the same way. 256 MiB.
 * - ACTIVATION_FACTOR, the measured bytes per token of the block being differentiated over 4 × blockWorkingSet
 *   (its F32 elements per token). bench:memory's slope at T = 256 with two adapted blocks, less the two kept block
 *   inputs and the head's states (4·C each), over 4 × blockWorkingSet(stand-in, 256): 0.33 in the 2026-12-04 run,
 *   0.66 in the README's earlier one (0.27 MiB a token). The larger, rounded up: 0.7.
 * Generation is llama.cpp's: the file (mapped), its F16 KV cache and a compute buffer of one ubatch of logits.
 */
export const RUNTIME_BYTES = 256 * 1024 ** 2;
export const ACTIVATION_FACTOR = 0.7;

const MiB = 1024 ** 2;
/** llama.cpp's default ubatch: its compute buffer holds about this many positions' logits and states. */
const LLAMA_UBATCH = 512;
/** The gate reads one query at a time; queries are short (bootstrap's are at most 128 tokens, plus the template). */
const GATE_PROMPT_TOKENS = 512;
/** F32 (V, chunk) tensors of the output head alive at once (logits, their softmax, their gradient). */
const HEAD_CHUNKS_ALIVE = 3;

export type StageName = "generate" | "teacher" | "train" | "gate";

/** One stage's needs. `deviceBytes` is on the GPU when the stage runs on one (then `ramBytes` is what stays on the host). */
export type StageNeeds = {
    stage: StageName,
    /** Where its big buffers live. */
    device: "cpu" | "gpu",
    ramBytes: number,
    gpuBytes: number,
    /** What the bytes are, for people: name → bytes. */
    parts: Record<string, number>,
    /** Written to the run folder by this stage. */
    diskBytes: number
};

export type MemoryPlanOptions = {
    train: Pick<TrainConfig, "rank" | "targets" | "layers" | "batchSize" | "gradAccum" | "maxLen" | "objective" | "topK" | "dropout">,
    /** Recompute activations in the backward. Defaults to `true`. */
    checkpointActivations?: boolean,
    /** Training examples (the teacher's targets of all of them are kept). */
    examples: number,
    /** Adapter files' storage. Defaults to `"f16"`. */
    adapterDtype?: "f16" | "f32",
    /** Where the trainer and the gate's forward run. */
    trainDevice: "cpu" | "gpu",
    /** The generating stages (bootstrap with the llama engine): tokens per sequence, sequences, whether they offload to a GPU. */
    generate?: {contextSize: number, parallel: number, device: "cpu" | "gpu", records: number, answerMaxTokens: number},
    /** The gate stage (bootstrap). */
    gate?: boolean
};

export type MemoryPlan = {
    model: {path: string, fileBytes: number, weightBytes: number, blocks: number, width: number, vocabulary: number},
    trainableParameters: number,
    /** Activation bytes per token of a micro-batch (with the settings' checkpointing), and the tokens of one. */
    bytesPerToken: number, microBatchTokens: number,
    stages: StageNeeds[],
    /** Bytes the run folder grows by in all. */
    diskBytes: number
};

/** The elements per token one block keeps while its backward runs (the bench's scale: q, k, v, o and the FFN's, attention rows). */
export function blockWorkingSet(h: Pick<ModelHparams, "nEmbd" | "nFf" | "nHead">, tokens: number): number {
    return 4 * h.nEmbd + 3 * h.nFf + 2 * h.nHead * tokens;
}

export function estimateMemoryPlan(file: GgufFile, options: MemoryPlanOptions): MemoryPlan {
    const h = readModelHparams(file);
    const t = options.train;
    const checkpointing = options.checkpointActivations ?? true;
    const weightBytes = file.tensors.reduce((n, x) => n + x.sizeBytes, 0);
    const layers = loraLayers(t, h.nLayer);
    const params = layers.length * t.targets.reduce((n, target) => {
        const {inDim, outDim, nExpert} = projectionShape(h, target);
        return n + t.rank * (inDim + outDim) * (nExpert ?? 1);
    }, 0);
    const T = t.maxLen, tokens = t.batchSize * T;
    // Block inputs kept from the first adapted block on (F32), and the working set of the block being differentiated
    // (every adapted block's without checkpointing), and the final states the head reads.
    const kept = (h.nLayer - Math.min(...layers)) * 4 * h.nEmbd;
    const working = 4 * blockWorkingSet(h, T) * ACTIVATION_FACTOR * (checkpointing ? 1 : layers.length);
    const distill = t.objective !== "sft";
    const teacherPerToken = distill ? t.topK * 8 : 0;
    const bytesPerToken = kept + working + 2 * 4 * h.nEmbd + teacherPerToken;
    const head = HEAD_CHUNKS_ALIVE * Math.min(HEAD_CHUNK_BYTES, 4 * h.nVocab * tokens);
    const slice = 6 * Math.min(TRANSPOSE_SLICE_WEIGHTS, largestMatrix(h));
    // Teacher targets of every example's answer (at most half of max-len on average), kept for the whole run.
    const teacherCache = distill ? options.examples * (T / 2) * t.topK * 8 : 0;
    const loraState = params * 16;

    const onDevice = (stage: StageName, device: "cpu" | "gpu", deviceParts: Record<string, number>, hostParts: Record<string, number>, diskBytes = 0): StageNeeds => {
        const sum = (p: Record<string, number>) => Object.values(p).reduce((a, b) => a + b, 0);
        const parts = {...hostParts, ...deviceParts};
        return device === "gpu"
            ? {stage, device, ramBytes: Math.round(sum(hostParts)), gpuBytes: Math.round(sum(deviceParts)), parts: rounded(parts), diskBytes}
            : {stage, device, ramBytes: Math.round(sum(parts)), gpuBytes: 0, parts: rounded(parts), diskBytes};
    };

    const stages: StageNeeds[] = [];
    const g = options.generate;
    if (g) {
        const kv = 2 * h.nLayer * h.nHeadKv * h.headDim * 2 * g.contextSize * g.parallel;
        const compute = Math.min(LLAMA_UBATCH, g.contextSize * g.parallel) * 4 * (h.nVocab + 4 * h.nEmbd);
        // Records: each query's two answers and verdicts, about 4 bytes a token of JSON.
        const records = g.records * (2 * g.answerMaxTokens + 256) * 4 * 2;
        stages.push(onDevice("generate", g.device, {"model (mapped)": file.fileSizeBytes, "KV cache": kv, "compute buffer": compute}, {runtime: RUNTIME_BYTES}, records));
    }
    if (distill) {
        const forward = tokens * (4 * h.nEmbd + 4 * blockWorkingSet(h, T) * ACTIVATION_FACTOR);
        stages.push(onDevice("teacher", options.trainDevice, {"frozen weights": weightBytes, "activations": forward, "output-head chunks": head}, {runtime: RUNTIME_BYTES, "teacher targets": teacherCache}));
    }
    const adapterBytes = params * (options.adapterDtype === "f32" ? 4 : 2);
    const checkpointBytes = params * 12; // weights and both AdamW moments, F32
    stages.push(onDevice("train", options.trainDevice, {
        "frozen weights": weightBytes, "adapter, gradients, AdamW": loraState, "Wᵀ slice": slice, "output-head chunks": head, activations: bytesPerToken * tokens
    }, {runtime: RUNTIME_BYTES, "teacher targets": teacherCache}, checkpointBytes + 2 * adapterBytes));
    if (options.gate) {
        const first = file.tensors.filter((x) => x.name.startsWith("blk.0.") || x.name.startsWith("token_embd.")).reduce((n, x) => n + x.sizeBytes, 0);
        stages.push(onDevice("gate", options.trainDevice, {"embedding and block 0": first, activations: GATE_PROMPT_TOKENS * 4 * blockWorkingSet(h, GATE_PROMPT_TOKENS)}, {runtime: RUNTIME_BYTES}, MiB));
    }
    return {
        model: {path: file.path, fileBytes: file.fileSizeBytes, weightBytes, blocks: h.nLayer, width: h.nEmbd, vocabulary: h.nVocab},
        trainableParameters: params, bytesPerToken: Math.round(bytesPerToken), microBatchTokens: tokens,
        stages, diskBytes: stages.reduce((n, s) => n + s.diskBytes, 0)
    };
}

function largestMatrix(h: ModelHparams): number {
    return Math.max(h.nEmbd * h.nFf, h.nEmbd * h.nHead * h.headDim, h.nEmbd * h.nVocab);
}

function rounded(parts: Record<string, number>): Record<string, number> {
    return Object.fromEntries(Object.entries(parts).filter(([, v]) => v > 0).map(([k, v]) => [k, Math.round(v)]));
}
