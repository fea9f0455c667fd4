import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlGraphAllocator} from "../ggml/ggml-graph-allocator.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import {CompiledGraph} from "./compiled-graph.js";
import type {AdamWOptions} from "./adamw-options.js";
import type {LoraTensorKind} from "./lora-tensors.js";

/** Trainable tensors laid out flat per kind: an adapter's (LoraTensors) or a whole model's (TrainableWeights). */
export type FlatParameters = {flat(kind: LoraTensorKind): GgmlTensor};

/**
 * AdamW (the update rule of adamw-options.ts) on the trainable tensors, run by ggml on the backend: no copies to
 * the host but one number, the gradient norm. The training loop clips and zeroes: it reads gradNorm(), steps with
 * the clip scale, then zeroes the gradient accumulators.
 */
export class AdamW {
    /** Steps taken so far (the bias correction's t); saved in checkpoints. */
    t = 0;
    private readonly normGraph: CompiledGraph<never, "sumSquares">;
    private readonly stepGraph: CompiledGraph<"hyper" | "clip", "done">;

    constructor(ggml: Ggml, backend: GgmlBackend, allocator: GgmlGraphAllocator, lora: FlatParameters,
        private readonly config: Omit<AdamWOptions, "lr">) {
        // One flat tensor per kind (see LoraTensors): the whole update is a handful of ggml operations.
        const grads = lora.flat("grad");
        this.normGraph = CompiledGraph.build(ggml, backend, allocator, 8, (ctx) => ({
            inputs: {} as Record<never, GgmlTensor>,
            outputs: {sumSquares: ctx.sum(ctx.sqr(grads))}
        }));
        this.stepGraph = CompiledGraph.build(ggml, backend, allocator, 8, (ctx) => {
            const hyper = ctx.newTensor(GgmlType.F32, [7], "adamw_params");
            const clip = ctx.newTensor(GgmlType.F32, [1], "clip_scale");
            const step = ctx.adamwStep(lora.flat("param"), ctx.mul(grads, clip), lora.flat("m"), lora.flat("v"), hyper);
            return {inputs: {hyper, clip}, outputs: {done: clip}, effects: [step]};
        });
    }

    /** Global L2 norm of the accumulated gradients (every A and B together). */
    async gradNorm(): Promise<number> {
        await this.normGraph.run({});
        return Math.sqrt(this.normGraph.read("sumSquares")[0]!);
    }

    /** One update at learning rate lr from the accumulated gradients times clipScale (1: unclipped); they are left as they are. */
    async step(lr: number, clipScale = 1): Promise<void> {
        const {beta1, beta2, adamEps, weightDecay} = this.config;
        this.t++;
        const hyper = Float32Array.of(lr, beta1, beta2, adamEps, weightDecay, 1 / (1 - beta1 ** this.t), 1 / (1 - beta2 ** this.t));
        await this.stepGraph.run({hyper, clip: Float32Array.of(clipScale)});
    }

    dispose(): void {
        this.normGraph.dispose();
        this.stepGraph.dispose();
    }
}
