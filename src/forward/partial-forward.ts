import type {GgmlBackendOptions} from "../ggml/ggml-backend.js";
import type {GgmlGraphAllocator} from "../ggml/ggml-graph-allocator.js";
import {GgmlType} from "../model/ggml-type.js";
import {UsageError} from "../util/prism-error.js";
import {CompiledGraph, CompiledGraphCache} from "../train/compiled-graph.js";
import {GgmlModel, NODES_PER_BLOCK} from "../train/ggml-model.js";
import {declareSequenceInputs, packSequences, transformerForward} from "../train/transformer-forward.js";

export type PartialForwardOptions = {
    modelPath: string,
    /** Blocks loaded (the most hiddenState can run). Defaults to `1`: the gate reads the state after block 0. */
    layers?: number,
    /** Defaults to `"auto"`. */
    device?: GgmlBackendOptions["device"],
    /** Defaults to `"auto"`. */
    threads?: GgmlBackendOptions["threads"]
};

/** Prompt lengths are padded up to a multiple of this, so that graphs are reused across nearby lengths. */
const PAD_TO = 8;
/** Compiled graphs kept per partial forward (one per batch shape). */
const MAX_GRAPHS = 16;
/**
 * Padded lengths up to this are compiled once and kept, in the model's shared allocator. Longer prompts (rare, and
 * costly: attention is T² per head) get a graph and an allocator of their own, freed after the pass, so one long
 * prompt does not leave its buffer behind for the life of the server.
 */
const MAX_CACHED_T = 512;
/**
 * Up to this many FLOPs a graph runs on the calling thread. On one core of the machines we measured, that is about
 * a millisecond. Measured on the 2-block, width-64 tiny model (35-token prompt, 1 thread): a worker hop cost 342 µs
 * against 213 µs on the calling thread.
 */
const SYNC_FLOPS = 2e7;

/**
 * What a hidden-state feature is, so a gate trained on it can check it is fed the same thing (the shape of the gate's
 * GateFeatureDefinition). The model it came from is `PartialForward.modelFingerprint`.
 */
export type HiddenStateFeature = {
    /** Blocks applied: the residual stream after block `layer − 1` (1 = after the first block, which adapters leave alone). */
    layer: number,
    /** The state of the prompt's last token (the position whose logits give the first answer token). */
    position: "last-prompt-token",
    /** n_embd. */
    width: number
};

/**
 * The first blocks of a model and nothing else: token embedding plus `layers` blocks, returning the residual
 * stream at each prompt's last token. Loads only those blocks' weights, so it is a small fraction of the model.
 */
export class PartialForward {
    private readonly graphs = new CompiledGraphCache<"tokens" | "positions" | "mask" | "rows", "states">(MAX_GRAPHS);
    /** Weights in one block, for the work estimate that picks synchronous compute. */
    private readonly blockParams: number;

    private constructor(private readonly model: GgmlModel, readonly layers: number) {
        const h = model.hparams;
        this.blockParams = 2 * h.nEmbd * h.nHead * h.headDim + 2 * h.nEmbd * h.nHeadKv * h.headDim + 3 * h.nEmbd * h.nFf;
    }

    static async load(options: PartialForwardOptions): Promise<PartialForward> {
        const layers = options.layers ?? 1;
        const model = await GgmlModel.load({modelPath: options.modelPath, device: options.device, threads: options.threads, blocks: layers, output: false});
        return new PartialForward(model, layers);
    }

    get width(): number {
        return this.model.hparams.nEmbd;
    }

    get modelFingerprint(): string {
        return this.model.fingerprint;
    }

    feature(layers = this.layers): HiddenStateFeature {
        return {layer: layers, position: "last-prompt-token", width: this.width};
    }

    /** The residual stream (n_embd) after `layers` blocks at the last token. */
    async hiddenState(tokens: readonly number[], options: {layers?: number} = {}): Promise<Float32Array> {
        return (await this.hiddenStates([tokens], options))[0]!;
    }

    /** hiddenState for several prompts in one pass (right-padded; padding never reaches a real token). */
    hiddenStates(prompts: readonly (readonly number[])[], options: {layers?: number} = {}): Promise<Float32Array[]> {
        const layers = options.layers ?? this.layers;
        if (!Number.isInteger(layers) || layers < 1 || layers > this.layers)
            throw new UsageError(`layers must be between 1 and ${this.layers} (the blocks this partial forward loaded), got ${layers}`);
        if (prompts.length === 0) return Promise.resolve([]);
        const V = this.model.hparams.nVocab;
        for (const p of prompts) {
            if (p.length === 0) throw new UsageError("an empty prompt has no last token");
            const bad = p.find((t) => !Number.isInteger(t) || t < 0 || t >= V);
            if (bad !== undefined) throw new UsageError(`token id ${bad} is outside the model's vocabulary (0..${V - 1})`);
        }
        return this.model.lock.run(async () => {
            const {backend, hparams: h} = this.model;
            const B = prompts.length;
            // Right padding to a multiple of PAD_TO: later positions never reach an earlier one under the causal mask,
            // and prompts of nearby lengths share one compiled graph.
            const T = Math.ceil(Math.max(...prompts.map((p) => p.length)) / PAD_TO) * PAD_TO;
            const last = Int32Array.from(prompts, (p, b) => b * T + p.length - 1);
            const cached = T <= MAX_CACHED_T;
            const allocator = cached ? this.model.allocator : backend.createAllocator();
            const graph = cached ? this.graphs.get(`${B}x${T}x${layers}`, () => this.buildGraph(B, T, layers, allocator)) : this.buildGraph(B, T, layers, allocator);
            try {
                graph.bind({...packSequences(prompts, T), rows: last});
                // Small graphs (the gate's usual prompt on a small model) run on this thread: handing them to a worker
                // costs more than the work. Larger ones go to a worker so a server's event loop keeps turning.
                if (B * T * this.blockParams * layers * 2 <= SYNC_FLOPS) backend.computeSync(graph.graph);
                else await backend.compute(graph.graph);
                const all = graph.read("states");
                return prompts.map((_, b) => all.slice(b * h.nEmbd, (b + 1) * h.nEmbd));
            } finally {
                if (!cached) {
                    graph.dispose();
                    allocator.dispose();
                }
            }
        });
    }

    /** The longest padded prompt whose graph is kept between calls. */
    static get maxCachedTokens(): number {
        return MAX_CACHED_T;
    }

    /** Bytes of compute buffer kept between calls (the shared allocator's buffer, which grows to the largest kept graph). */
    get retainedBufferBytes(): number {
        return this.model.allocator.bufferSizeBytes;
    }

    /** The context length the model was trained with (GGUF `context_length`). */
    get trainedContextLength(): number {
        return this.model.hparams.nCtxTrain;
    }

    private buildGraph(B: number, T: number, layers: number, allocator: GgmlGraphAllocator): CompiledGraph<"tokens" | "positions" | "mask" | "rows", "states"> {
        const {ggml, backend, hparams: h, weights} = this.model;
        return CompiledGraph.build(ggml, backend, allocator, 64 + layers * NODES_PER_BLOCK, (ctx) => {
            const seq = declareSequenceInputs(ctx, B, T);
            const rows = ctx.newTensor(GgmlType.I32, [B], "last_tokens");
            const {hidden} = transformerForward(ctx, h, weights, seq, B, T, {blocks: layers});
            return {inputs: {...seq, rows}, outputs: {states: ctx.getRows(hidden, rows)}};
        });
    }

    get disposed(): boolean {
        return this.model.disposed;
    }

    dispose(): void {
        this.graphs.dispose();
        this.model.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }
}
