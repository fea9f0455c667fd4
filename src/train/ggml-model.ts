import {GgmlBackend, ggmlBuildFor, type GgmlBackendOptions} from "../ggml/ggml-backend.js";
import type {GgmlGraphAllocator} from "../ggml/ggml-graph-allocator.js";
import {Ggml} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import {GgufFile} from "../model/gguf-file.js";
import {assertTrainerSupports, readModelHparams, type ModelHparams} from "../model/model-hparams.js";
import {loraWeightsScale, type LoraWeights} from "../lora/lora-weights.js";
import {Mutex} from "../util/mutex.js";
import {UsageError} from "../util/prism-error.js";
import {CompiledGraph} from "./compiled-graph.js";
import {LoraTensors} from "./lora-tensors.js";
import {loadModelWeights, type ModelWeights} from "./model-weights.js";
import {outputForward} from "./output-head.js";
import {declareSequenceInputs, packSequences, transformerForward} from "./transformer-forward.js";
import {addBlockLora, type BlockLora} from "./transformer-block.js";

export type GgmlModelOptions = {
    modelPath: string,
    /** Compute device. Defaults to `"auto"` (a GPU when node-llama-cpp has one, else the CPU). */
    device?: GgmlBackendOptions["device"],
    /** CPU threads. Defaults to `"auto"`. */
    threads?: GgmlBackendOptions["threads"],
    /** Load only the first blocks (a partial forward). Defaults to all. */
    blocks?: number,
    /** Load the output norm and projection. Defaults to `true` when all blocks are loaded. */
    output?: boolean
};

export type LogitsOptions = {
    /** An adapter to apply (at llama.cpp's scale alpha / rank). */
    lora?: LoraWeights,
    /** Positions whose logits to return, per sequence. Defaults to every position. */
    positions?: readonly (readonly number[])[]
};

/** Graph node budget per block, with margin: a training block builds about 250 nodes. */
export const NODES_PER_BLOCK = 400;

/**
 * A GGUF model's frozen weights on a ggml backend, with the forward pass. The trainer, the teacher and the partial
 * forward of the gate are built on it.
 */
export class GgmlModel {
    private evalAllocator?: GgmlGraphAllocator;
    /** Serialises every computation on this model's backend (graphs share memory and must not run at once). */
    readonly lock = new Mutex();

    private constructor(
        readonly path: string,
        readonly ggml: Ggml,
        readonly backend: GgmlBackend,
        readonly file: GgufFile,
        readonly hparams: ModelHparams,
        readonly weights: ModelWeights,
        readonly fingerprint: string
    ) {}

    static async load(options: GgmlModelOptions): Promise<GgmlModel> {
        const file = await GgufFile.open(options.modelPath);
        const hparams = readModelHparams(file);
        assertTrainerSupports(file, hparams);
        const blocks = options.blocks ?? hparams.nLayer;
        if (!Number.isInteger(blocks) || blocks < 1 || blocks > hparams.nLayer)
            throw new UsageError(`blocks must be between 1 and ${hparams.nLayer} for ${options.modelPath}, got ${blocks}`);
        const ggml = await Ggml.load({gpu: ggmlBuildFor(options.device)});
        const backend = GgmlBackend.create(ggml, {device: options.device, threads: options.threads});
        try {
            const weights = loadModelWeights(ggml, backend, file, hparams, {blocks, output: options.output ?? blocks === hparams.nLayer});
            return new GgmlModel(options.modelPath, ggml, backend, file, hparams, weights, file.fingerprint);
        } catch (err) {
            backend.dispose();
            throw err;
        }
    }

    /** Allocator shared by the forward-only graphs (logits, teacher, hidden states). */
    get allocator(): GgmlGraphAllocator {
        this.evalAllocator ??= this.backend.createAllocator();
        return this.evalAllocator;
    }

    /** Logits (rows × V, row-major) of each sequence at the requested positions. */
    logits(sequences: readonly (readonly number[])[], options: LogitsOptions = {}): Promise<Float32Array[]> {
        return this.lock.run(() => this.logitsUnlocked(sequences, options));
    }

    private async logitsUnlocked(sequences: readonly (readonly number[])[], options: LogitsOptions): Promise<Float32Array[]> {
        const out = this.weights.output;
        if (!out) throw new UsageError("this model was loaded without its output layer (a partial forward)");
        const h = this.hparams;
        const B = sequences.length, T = Math.max(...sequences.map((s) => s.length));
        const positions = options.positions ?? sequences.map((s) => s.map((_, i) => i));
        const rows = Int32Array.from(positions.flatMap((ps, b) => ps.map((p) => b * T + p)));
        using lora = options.lora ? this.uploadLora(options.lora) : undefined;
        const graph = CompiledGraph.build(this.ggml, this.backend, this.allocator, 64 + this.weights.blocks.length * NODES_PER_BLOCK, (ctx) => {
            const seq = declareSequenceInputs(ctx, B, T);
            const rowIdx = ctx.newTensor(GgmlType.I32, [rows.length], "rows");
            const {hidden} = transformerForward(ctx, h, this.weights, seq, B, T, {lora: lora ? (l) => loraOfBlock(lora, l) : undefined});
            const {logits} = outputForward(ctx, out, hidden, rowIdx, h.rmsEps);
            return {inputs: {...seq, rows: rowIdx}, outputs: {logits}};
        });
        try {
            await graph.run({...packSequences(sequences, T), rows});
            const all = graph.read("logits");
            const V = h.nVocab;
            let offset = 0;
            return positions.map((ps) => {
                const slice = all.slice(offset * V, (offset + ps.length) * V);
                offset += ps.length;
                return slice;
            });
        } finally {
            graph.dispose();
        }
    }

    /** An adapter's matrices on this backend (for a forward with it). */
    uploadLora(lora: LoraWeights): LoraTensors {
        const tensors = LoraTensors.create(this.ggml, this.backend, {
            modules: lora.modules.map(({layer, target, inDim, outDim, nExpert}) => ({layer, target, inDim, outDim, nExpert})),
            rank: lora.rank,
            scale: loraWeightsScale(lora)
        });
        tensors.load(lora);
        return tensors;
    }

    get disposed(): boolean {
        return this.backend.disposed;
    }

    dispose(): void {
        // The backend owns the weights' buffer and the allocators; the weights' context is ours.
        this.backend.dispose();
        this.weights.ctx.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }
}

/** The BlockLora of one layer from an adapter's tensors (no dropout). */
export function loraOfBlock(lora: LoraTensors, layer: number): BlockLora {
    const out: BlockLora = {};
    for (const m of lora.modules) if (m.layer === layer) addBlockLora(out, m);
    return out;
}
