import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlBuffer} from "../ggml/ggml-buffer.js";
import {GgmlContext} from "../ggml/ggml-context.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import {ggufProjectionName, projectionNames, type ProjectionName} from "../model/architecture.js";
import {GgmlType, ggmlTypeName} from "../model/ggml-type.js";
import type {GgufFile} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {projectionShape, type ModelHparams} from "../model/model-hparams.js";
import {decodeTensor} from "../model/quantize.js";
import type {LoraTensorKind} from "./lora-tensors.js";
import type {BlockWeights, LinearWeights, ModelWeights} from "./model-weights.js";

/** The gradient accumulators of one block's weights (same shapes as the weights). */
export type BlockGrads = {attnNorm: GgmlTensor, ffnNorm: GgmlTensor, linear: Record<ProjectionName, GgmlTensor>};

/**
 * Where a full-parameter backward adds each weight's gradient. With tied embeddings the output projection is the
 * token embedding, so `output` is absent and the head's gradient goes to `tokenEmbd` too.
 */
export type WeightGrads = {tokenEmbd: GgmlTensor, blocks: BlockGrads[], outputNorm: GgmlTensor, output?: GgmlTensor};

/** Row length of the flat tensors (as LoraTensors: rows let ggml spread AdamW over its threads). */
const FLAT_ROW = 256;

type Entry = {name: string, shape: number[]};

/**
 * Every weight of a dense llama-family model as F32 trainable parameters on the backend. As with LoraTensors, each
 * kind (parameters, gradients, AdamW moments) is one flat tensor and each weight a view into it, so the optimiser,
 * the gradient norm and zeroing are one operation each. `weights` has ModelWeights' shape, so the forward and the
 * training graph run on it unchanged; `grads` mirrors it.
 */
export class TrainableWeights {
    private constructor(
        private readonly ggml: Ggml,
        readonly weights: ModelWeights,
        readonly grads: WeightGrads,
        /** Each GGUF tensor name with its parameter and gradient views, in the source file's order. */
        readonly named: readonly {name: string, param: GgmlTensor, grad: GgmlTensor}[],
        private readonly flats: Record<LoraTensorKind, GgmlTensor>,
        readonly parameterCount: number
    ) {}

    /** Loads every weight of `file` (F32, F16 or Q8_0, decoded to F32); the model must be dense and bias-free. */
    static create(ggml: Ggml, backend: GgmlBackend, file: GgufFile, h: ModelHparams): TrainableWeights {
        if (h.moe) throw new InvalidModelFileError(file.path, "full-parameter training does not support mixtures of experts", {hint: "train a LoRA adapter instead (prism train)"});
        const biased = file.tensors.find((t) => t.name.endsWith(".bias"));
        if (biased) throw new InvalidModelFileError(file.path, `full-parameter training does not support biases (${biased.name})`, {hint: "train a LoRA adapter instead (prism train)"});

        const entries: Entry[] = [{name: "token_embd.weight", shape: [h.nEmbd, h.nVocab]}];
        for (let l = 0; l < h.nLayer; l++) {
            entries.push({name: `blk.${l}.attn_norm.weight`, shape: [h.nEmbd]}, {name: `blk.${l}.ffn_norm.weight`, shape: [h.nEmbd]});
            for (const p of projectionNames) {
                const {inDim, outDim} = projectionShape(h, p);
                entries.push({name: `blk.${l}.${ggufProjectionName(h.arch.name, p)}.weight`, shape: [inDim, outDim]});
            }
        }
        entries.push({name: "output_norm.weight", shape: [h.nEmbd]});
        if (!h.tiedEmbeddings) entries.push({name: "output.weight", shape: [h.nEmbd, h.nVocab]});
        for (const e of entries) {
            const info = file.requireTensor(e.name);
            if (info.shape[0] !== e.shape[0] || (info.shape[1] ?? 1) !== (e.shape[1] ?? 1))
                throw new InvalidModelFileError(file.path, `tensor ${e.name} has shape [${info.shape.join(", ")}], expected [${e.shape.join(", ")}] from the metadata`);
            if (![GgmlType.F32, GgmlType.F16, GgmlType.Q8_0].includes(info.type))
                throw new InvalidModelFileError(file.path, `full-parameter training reads F32, F16 or Q8_0 weights; ${e.name} is ${ggmlTypeName(info.type)}`);
        }
        const count = (e: Entry) => e.shape.reduce((a, b) => a * b, 1);
        const total = entries.reduce((n, e) => n + count(e), 0);

        const kinds: LoraTensorKind[] = ["param", "grad", "m", "v"];
        const ropeInfo = file.tensor("rope_freqs.weight");
        const ctx = GgmlContext.create(ggml, {maxTensors: kinds.length * (1 + entries.length) + 2});
        const flats = Object.fromEntries(kinds.map((k) => [k, ctx.newTensor(GgmlType.F32, [FLAT_ROW, Math.ceil(total / FLAT_ROW)], `full.${k}`)])) as Record<LoraTensorKind, GgmlTensor>;
        ctx.markParameter(flats.param);
        const views = new Map<string, Record<"param" | "grad", GgmlTensor>>();
        let offset = 0;
        for (const e of entries) {
            views.set(e.name, {param: ctx.setName(ctx.view(flats.param, e.shape, offset * 4), e.name), grad: ctx.view(flats.grad, e.shape, offset * 4)});
            offset += count(e);
        }
        // Rope frequency factors are fixed by the model's design, not learned: kept apart from the parameters.
        const ropeFreqs = ropeInfo ? ctx.newTensor(ropeInfo.type, ropeInfo.shape, "rope_freqs.weight") : undefined;
        const param = (name: string) => views.get(name)!.param, grad = (name: string) => views.get(name)!.grad;
        const linear = (name: string, inDim: number, outDim: number): LinearWeights => ({name, w: param(`${name}.weight`), inDim, outDim, type: GgmlType.F32});

        const blocks: BlockWeights[] = [], blockGrads: BlockGrads[] = [];
        for (let l = 0; l < h.nLayer; l++) {
            const lin = {} as Record<ProjectionName, LinearWeights>, gLin = {} as Record<ProjectionName, GgmlTensor>;
            for (const p of projectionNames) {
                const {inDim, outDim} = projectionShape(h, p);
                const name = `blk.${l}.${ggufProjectionName(h.arch.name, p)}`;
                lin[p] = linear(name, inDim, outDim);
                gLin[p] = grad(`${name}.weight`);
            }
            blocks.push({attnNorm: param(`blk.${l}.attn_norm.weight`), ffnNorm: param(`blk.${l}.ffn_norm.weight`), linear: lin});
            blockGrads.push({attnNorm: grad(`blk.${l}.attn_norm.weight`), ffnNorm: grad(`blk.${l}.ffn_norm.weight`), linear: gLin});
        }
        const tokenEmbd = param("token_embd.weight");
        const outLinear: LinearWeights = h.tiedEmbeddings
            ? {name: "token_embd", w: tokenEmbd, inDim: h.nEmbd, outDim: h.nVocab, type: GgmlType.F32}
            : linear("output", h.nEmbd, h.nVocab);

        const buffer: GgmlBuffer = backend.allocateTensors(ctx);
        try {
            buffer.clear(0);
            for (const e of entries) {
                const info = file.requireTensor(e.name);
                ggml.write(param(e.name), decodeTensor(file.readTensorBytes(info), info.type, count(e)));
            }
            if (ropeInfo && ropeFreqs) ggml.write(ropeFreqs, file.readTensorBytes(ropeInfo));
        } catch (err) {
            buffer.dispose();
            ctx.dispose();
            throw err;
        }
        const weights: ModelWeights = {tokenEmbd, blocks, output: {norm: param("output_norm.weight"), linear: outLinear}, ropeFreqs, ctx, buffer, sizeBytes: buffer.sizeBytes};
        const grads: WeightGrads = {tokenEmbd: grad("token_embd.weight"), blocks: blockGrads, outputNorm: grad("output_norm.weight"),
            output: h.tiedEmbeddings ? undefined : grad("output.weight")};
        return new TrainableWeights(ggml, weights, grads, entries.map((e) => ({name: e.name, ...views.get(e.name)!})), flats, total);
    }

    /** All of one kind as a single (256, ⌈P / 256⌉) tensor, zero-padded at the end (what AdamW steps). */
    flat(kind: LoraTensorKind): GgmlTensor {
        return this.flats[kind];
    }

    /** The current values of one weight, by GGUF name. */
    read(name: string): Float32Array {
        return this.ggml.readFloat32(this.entry(name).param);
    }

    /** Overwrites values of one weight (by GGUF name), from element `at`. */
    write(name: string, values: Float32Array, at = 0): void {
        this.ggml.write(this.entry(name).param, values, at * 4);
    }

    /** The accumulated gradient of one weight, by GGUF name. */
    readGrad(name: string): Float32Array {
        return this.ggml.readFloat32(this.entry(name).grad);
    }

    zeroGradients(): void {
        this.ggml.fill(this.flats.grad);
    }

    get disposed(): boolean {
        return this.weights.ctx.disposed;
    }

    dispose(): void {
        if (this.disposed) return;
        this.weights.buffer.dispose();
        this.weights.ctx.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }

    private entry(name: string): {param: GgmlTensor, grad: GgmlTensor} {
        const found = this.named.find((n) => n.name === name);
        if (!found) throw new Error(`internal: no trainable weight ${name}`);
        return found;
    }
}
