import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import type {ModelHparams} from "../model/model-hparams.js";
import type {GraphParts} from "./compiled-graph.js";
import {distillLoss} from "./distill-loss.js";
import type {DropoutPool} from "./dropout-pool.js";
import type {LoraTensors} from "./lora-tensors.js";
import type {WeightGrads} from "./trainable-weights.js";
import type {LinearWeights, ModelWeights} from "./model-weights.js";
import {headChunkRows, NODES_PER_HEAD_CHUNK, outputBackward, outputForward} from "./output-head.js";
import {NODES_PER_BLOCK} from "./ggml-model.js";
import {sftLoss} from "./sft-loss.js";
import {addBlockLora, blockBackward, blockForward, type BlockLora} from "./transformer-block.js";
import {declareSequenceInputs, transformerForward} from "./transformer-forward.js";
import {transposedProduct, transposedSlices, type TransposedWeights} from "./transposed-weights.js";
import {isExpertTarget, projectionNames, type ProjectionName} from "../model/architecture.js";

/**
 * The shape of one micro-batch graph: B sequences padded to T tokens, M scored positions, and which losses run.
 * K is the number of teacher tokens per position for distillation.
 */
export type TrainingShape = {B: number, T: number, M: number, sft: boolean, distill: boolean, K: number, dropout: boolean, /** false: losses only (evaluation). */ backward: boolean};

export type TrainingGraphInput = "tokens" | "positions" | "mask" | "rows" | "labels" | "sftWeights" | "teacherTokens" | "teacherProbs" | "distillWeights" | `drop.${string}`;
export type TrainingGraphOutput = "sftLoss" | "distillLossQ";

export type TrainingGraphModel = {
    h: ModelHparams, weights: ModelWeights, transposed?: TransposedWeights, dropout?: DropoutPool, temperature: number,
    /** The adapter being trained; absent in full-parameter training. */
    lora?: LoraTensors,
    /**
     * Full-parameter training: the gradient accumulators of every weight in `weights` (TrainableWeights), which the
     * backward fills down to the token embedding. Wᵀ must then be made in the graph (no precomputed copies), from W as it stands.
     */
    grads?: WeightGrads,
    /**
     * Keep only each block's input from the forward and recompute the block's activations in its backward: about a
     * third more matrix products for activations of one block at a time instead of all. Defaults to `true`.
     */
    checkpointActivations?: boolean,
    /** Scored positions per chunk of the output head and losses (logits exist for one chunk at a time). Defaults to headChunkRows(V). */
    headChunk?: number,
    /** Weights per slice of a Wᵀ made in the graph. Defaults to TRANSPOSE_SLICE_WEIGHTS. */
    transposeSlice?: number
};

/** Node budget of a training graph: the blocks (forward, recomputation, backward), each Wᵀ slice, each head chunk. */
export function trainingGraphNodes(h: ModelHparams, weights: ModelWeights, M: number, options: {headChunk?: number, transposeSlice?: number} = {}): number {
    const slices = (w: LinearWeights) => 8 * transposedSlices(w, options.transposeSlice); // views, get_rows, transpose, cast, product, sum
    const blocks = weights.blocks.reduce((n, b) => n + NODES_PER_BLOCK + projectionNames.reduce((k, p) => k + slices(b.linear[p]), 0), 0);
    const head = weights.output ? NODES_PER_HEAD_CHUNK + slices(weights.output.linear) : 0;
    return 128 + blocks + Math.ceil(M / (options.headChunk ?? headChunkRows(h.nVocab))) * head;
}

/** The dropout index input of one module. */
export function dropoutInputName(layer: number, target: string): `drop.${string}` {
    return `drop.${layer}.${target}`;
}

/**
 * Forward through every block with the adapter, the losses on the scored positions, then the backward down to the
 * lowest adapted block, accumulating the LoRA gradients into the adapter's gradient tensors.
 * Inputs: tokens, positions (I32 B·T), mask (F32 T×T), rows (I32 M, scored positions), and per loss:
 * labels (I32 1×M), sftWeights (F32 1×M); teacherTokens (I32 K×M), teacherProbs (F32 1×K×M), distillWeights (F32 1×M);
 * with dropout, one I32 (B·T) row index into the dropout pool per adapted module.
 */
export function buildTrainingGraph(ctx: GgmlContext, m: TrainingGraphModel, shape: TrainingShape): GraphParts<TrainingGraphInput, TrainingGraphOutput> {
    const {h, weights, grads} = m;
    const modules = m.lora?.modules ?? [];
    const {transposed} = m;
    const out = weights.output;
    if (!out || (shape.backward && !transposed)) throw new Error("internal: training needs the output layer, and its backward the arange index (prepareTransposedWeights)");
    if (grads && (transposed?.output || transposed?.blocks.some((b) => Object.keys(b).length > 0) || shape.dropout))
        throw new Error("internal: full-parameter training needs Wᵀ made in the graph from the current weights, and no dropout");
    if (shape.backward && !grads && modules.length === 0) throw new Error("internal: a training graph needs an adapter or full-parameter gradients");
    const {B, T, M, K} = shape;
    const N = B * T;
    const seq = declareSequenceInputs(ctx, B, T);
    const rows = ctx.newTensor(GgmlType.I32, [M], "rows");
    const inputs: Partial<Record<TrainingGraphInput, GgmlTensor>> = {...seq, rows};

    const dropoutIndex = new Map<string, GgmlTensor>();
    if (shape.dropout && m.dropout)
        for (const mod of modules.filter((x) => !isExpertTarget(x.target))) {
            const idx = ctx.newTensor(GgmlType.I32, [N], dropoutInputName(mod.layer, mod.target));
            inputs[dropoutInputName(mod.layer, mod.target)] = idx;
            dropoutIndex.set(dropoutInputName(mod.layer, mod.target), idx);
        }
    // Each call gathers the dropout masks anew, so a recomputed block does not keep the forward's (C_in, N) masks alive.
    const loraOf = (layer: number): BlockLora => {
        const out: BlockLora = {};
        for (const mod of modules.filter((x) => x.layer === layer)) {
            const idx = dropoutIndex.get(dropoutInputName(mod.layer, mod.target));
            addBlockLora(out, mod, idx && m.dropout ? {scaledDropoutMask: ctx.getRows(m.dropout.pool(mod.inDim), idx)} : {});
        }
        return out;
    };
    const blockLora = new Map<number, BlockLora>(modules.map((mod) => [mod.layer, loraOf(mod.layer)]));
    // Full-parameter training reaches the token embedding; an adapter's backward stops at its lowest block.
    const lowest = grads ? 0 : Math.min(...modules.map((x) => x.layer));

    const checkpointing = m.checkpointActivations ?? true;
    // The graph runs in the order of `schedule`: forward, then per head chunk its losses and its gradient, then
    // block by block (recomputed from its input when checkpointing) its backward.
    const schedule: GgmlTensor[] = [];
    const forward = transformerForward(ctx, h, weights, seq, B, T, {lora: (l) => blockLora.get(l) ?? {}});
    schedule.push(forward.hidden);

    // Output head and losses in chunks of scored positions, so (V, M) logits never exist whole.
    const chunk = Math.max(1, m.headChunk ?? headChunkRows(h.nVocab));
    const losses: Partial<Record<TrainingGraphOutput, GgmlTensor>> = {};
    const addLoss = (name: TrainingGraphOutput, t: GgmlTensor) => {
        const sum: GgmlTensor = losses[name] ? ctx.add(losses[name], t) : t;
        losses[name] = sum;
        schedule.push(sum);
    };
    const labels = shape.sft ? ctx.newTensor(GgmlType.I32, [1, M], "labels") : undefined;
    const sftWeights = shape.sft ? ctx.newTensor(GgmlType.F32, [1, M], "sft_weights") : undefined;
    if (labels && sftWeights) Object.assign(inputs, {labels, sftWeights});
    const teacherTokens = shape.distill ? ctx.newTensor(GgmlType.I32, [K, M], "teacher_tokens") : undefined;
    const teacherProbs = shape.distill ? ctx.newTensor(GgmlType.F32, [1, K, M], "teacher_probs") : undefined;
    const distillWeights = shape.distill ? ctx.newTensor(GgmlType.F32, [1, M], "distill_weights") : undefined;
    if (teacherTokens && teacherProbs && distillWeights) Object.assign(inputs, {teacherTokens, teacherProbs, distillWeights});
    if (!labels && !teacherTokens) throw new Error("internal: a training graph needs at least one loss");
    let dHidden: GgmlTensor | undefined;
    for (let c0 = 0; c0 < M; c0 += chunk) {
        const Mc = Math.min(chunk, M - c0);
        const rowsC = ctx.view(rows, [Mc], c0 * 4);
        const perRow = (t: GgmlTensor) => ctx.view(t, [1, Mc], c0 * 4, [4]);
        const head = outputForward(ctx, out, forward.hidden, rowsC, h.rmsEps);
        let dLogits: GgmlTensor | undefined;
        if (labels && sftWeights) {
            const sft = sftLoss(ctx, head.logits, perRow(labels), perRow(sftWeights));
            addLoss("sftLoss", sft.loss);
            dLogits = sft.dLogits;
        }
        if (teacherTokens && teacherProbs && distillWeights) {
            const tokensC = ctx.view(teacherTokens, [K, Mc], c0 * K * 4, [K * 4]);
            const probsC = ctx.view(teacherProbs, [1, K, Mc], c0 * K * 4, [4, K * 4]);
            const kl = distillLoss(ctx, head.logits, tokensC, probsC, perRow(distillWeights), m.temperature);
            addLoss("distillLossQ", kl.lossQ);
            dLogits = dLogits ? ctx.add(dLogits, kl.dLogits) : kl.dLogits;
        }
        if (!shape.backward) continue;
        const headGrads = grads && {w: grads.output ?? grads.tokenEmbd, norm: grads.outputNorm, updates: schedule};
        const dx = outputBackward(ctx, out, (dy) => transposedProduct(ctx, out.linear, transposed!.arange, dy, transposed!.output, m.transposeSlice), head.saved, rowsC, dLogits!, h.rmsEps,
            headGrads);
        dHidden = dHidden ? ctx.add(dHidden, dx) : dx;
        schedule.push(dHidden);
    }
    const outputs = losses as Record<TrainingGraphOutput, GgmlTensor>;
    if (!shape.backward) return {inputs: inputs as Record<TrainingGraphInput, GgmlTensor>, outputs, effects: schedule};

    const {arange} = transposed!;
    let dx: GgmlTensor | undefined = dHidden;
    for (let l = weights.blocks.length - 1; l >= lowest && dx; l--) {
        const w = weights.blocks[l]!;
        const pre = transposed!.blocks[l] ?? {};
        const frozen = (name: ProjectionName, dy: GgmlTensor) => transposedProduct(ctx, w.linear[name], arange, dy, pre[name], m.transposeSlice);
        let saved = forward.saved[l]!;
        let applied = blockLora.get(l) ?? {};
        if (checkpointing) {
            // Recompute the block from its input (the forward's checkpoint) right before its backward.
            const again = blockForward(forward.env, w, saved.x, (applied = loraOf(l)));
            schedule.push(again.saved.linear.down.x);
            saved = again.saved;
        }
        const moeInputs = transposed!.eye ? {arange, eye: transposed!.eye, transposeSlice: m.transposeSlice} : undefined;
        dx = blockBackward(forward.env, w, frozen, saved, dx, applied, l > lowest || grads !== undefined, schedule, moeInputs, grads?.blocks[l]);
    }
    // The token embedding's gradient: each token's dx added to its row.
    if (grads && dx) schedule.push(ctx.addInPlace(grads.tokenEmbd, ctx.getRowsBack(dx, seq.tokens, weights.tokenEmbd)));
    return {
        inputs: inputs as Record<TrainingGraphInput, GgmlTensor>,
        outputs: outputs as Record<TrainingGraphOutput, GgmlTensor>,
        effects: schedule
    };
}
