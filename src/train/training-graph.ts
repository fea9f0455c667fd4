import type {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import type {ModelHparams} from "../model/model-hparams.js";
import type {GraphParts} from "./compiled-graph.js";
import {distillLoss} from "./distill-loss.js";
import type {DropoutPool} from "./dropout-pool.js";
import type {LoraTensors} from "./lora-tensors.js";
import type {ModelWeights} from "./model-weights.js";
import {outputBackward, outputForward} from "./output-head.js";
import {sftLoss} from "./sft-loss.js";
import {blockBackward, type BlockLora} from "./transformer-block.js";
import {declareSequenceInputs, transformerForward} from "./transformer-forward.js";
import type {TransposedWeights} from "./transposed-weights.js";

/**
 * The shape of one micro-batch graph: B sequences padded to T tokens, M scored positions, and which losses run.
 * K is the number of teacher tokens per position for distillation.
 */
export type TrainingShape = {B: number, T: number, M: number, sft: boolean, distill: boolean, K: number, dropout: boolean, /** false: losses only (evaluation). */ backward: boolean};

export type TrainingGraphInput = "tokens" | "positions" | "mask" | "rows" | "labels" | "sftWeights" | "teacherTokens" | "teacherProbs" | "distillWeights" | `drop.${string}`;
export type TrainingGraphOutput = "sftLoss" | "distillLossQ";

export type TrainingGraphModel = {h: ModelHparams, weights: ModelWeights, transposed?: TransposedWeights, lora: LoraTensors, dropout?: DropoutPool, temperature: number};

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
    const {h, weights, lora} = m;
    const transposed = m.transposed ?? {blocks: [], output: undefined};
    const out = weights.output;
    if (!out || (shape.backward && !transposed.output)) throw new Error("internal: training needs the output layer and its transposed copy");
    const {B, T, M, K} = shape;
    const N = B * T;
    const seq = declareSequenceInputs(ctx, B, T);
    const rows = ctx.newTensor(GgmlType.I32, [M], "rows");
    const inputs: Partial<Record<TrainingGraphInput, GgmlTensor>> = {...seq, rows};

    const blockLora = new Map<number, BlockLora>();
    for (const mod of lora.modules) {
        const application: NonNullable<BlockLora[keyof BlockLora]> = {module: mod, training: {}};
        if (shape.dropout && m.dropout) {
            const idx = ctx.newTensor(GgmlType.I32, [N], dropoutInputName(mod.layer, mod.target));
            inputs[dropoutInputName(mod.layer, mod.target)] = idx;
            application.training = {scaledDropoutMask: ctx.getRows(m.dropout.pool(mod.inDim), idx)};
        }
        blockLora.set(mod.layer, {...blockLora.get(mod.layer), [mod.target]: application});
    }
    const lowest = Math.min(...lora.modules.map((x) => x.layer));

    const forward = transformerForward(ctx, h, weights, seq, B, T, {lora: (l) => blockLora.get(l) ?? {}});
    const head = outputForward(ctx, out, forward.hidden, rows, h.rmsEps);

    const outputs: Partial<Record<TrainingGraphOutput, GgmlTensor>> = {};
    let dLogits: GgmlTensor | undefined;
    if (shape.sft) {
        const labels = ctx.newTensor(GgmlType.I32, [1, M], "labels");
        const weightsIn = ctx.newTensor(GgmlType.F32, [1, M], "sft_weights");
        Object.assign(inputs, {labels, sftWeights: weightsIn});
        const sft = sftLoss(ctx, head.logits, labels, weightsIn);
        outputs.sftLoss = sft.loss;
        dLogits = sft.dLogits;
    }
    if (shape.distill) {
        const teacherTokens = ctx.newTensor(GgmlType.I32, [K, M], "teacher_tokens");
        const teacherProbs = ctx.newTensor(GgmlType.F32, [1, K, M], "teacher_probs");
        const weightsIn = ctx.newTensor(GgmlType.F32, [1, M], "distill_weights");
        Object.assign(inputs, {teacherTokens, teacherProbs, distillWeights: weightsIn});
        const kl = distillLoss(ctx, head.logits, teacherTokens, teacherProbs, weightsIn, m.temperature);
        outputs.distillLossQ = kl.lossQ;
        dLogits = dLogits ? ctx.add(dLogits, kl.dLogits) : kl.dLogits;
    }
    if (!dLogits) throw new Error("internal: a training graph needs at least one loss");
    if (!shape.backward) return {inputs: inputs as Record<TrainingGraphInput, GgmlTensor>, outputs: outputs as Record<TrainingGraphOutput, GgmlTensor>};

    const updates: GgmlTensor[] = [];
    let dx: GgmlTensor | undefined = outputBackward(ctx, out, transposed.output!, head.saved, rows, dLogits, h.rmsEps);
    for (let l = weights.blocks.length - 1; l >= lowest && dx; l--)
        dx = blockBackward(forward.env, weights.blocks[l]!, transposed.blocks[l]!, forward.saved[l]!, dx, blockLora.get(l) ?? {}, l > lowest, updates);
    return {
        inputs: inputs as Record<TrainingGraphInput, GgmlTensor>,
        outputs: outputs as Record<TrainingGraphOutput, GgmlTensor>,
        effects: updates
    };
}
