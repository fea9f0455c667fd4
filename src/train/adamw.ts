import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlGraphAllocator} from "../ggml/ggml-graph-allocator.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import {CompiledGraph} from "./compiled-graph.js";
import type {LoraTensors} from "./lora-tensors.js";
import type {TrainConfig} from "./train-config.js";

export type AdamWStepResult = {gradNorm: number, clipScale: number};

/**
 * AdamW on the adapter's tensors, run by ggml on the backend (no copies to the host but one number, the gradient
 * norm): clip the accumulated gradients to gradClip by global norm, step every A and B with decoupled weight decay
 * and bias-corrected moments, then zero the accumulators for the next step.
 */
export class AdamW {
    /** Steps taken so far (the bias correction's t); saved in checkpoints. */
    t = 0;
    private readonly normGraph: CompiledGraph<never, "sumSquares">;
    private readonly stepGraph: CompiledGraph<"hyper" | "clip", "done">;

    constructor(private readonly ggml: Ggml, backend: GgmlBackend, allocator: GgmlGraphAllocator, private readonly lora: LoraTensors,
        private readonly config: Pick<TrainConfig, "beta1" | "beta2" | "adamEps" | "weightDecay" | "gradClip">) {
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

    /** One update at learning rate lr from the accumulated gradients, which it then zeroes. */
    async step(lr: number): Promise<AdamWStepResult> {
        await this.normGraph.run({});
        const gradNorm = Math.sqrt(this.normGraph.read("sumSquares")[0]!);
        const {gradClip, beta1, beta2, adamEps, weightDecay} = this.config;
        const clipScale = gradClip > 0 && gradNorm > gradClip ? gradClip / gradNorm : 1;
        this.t++;
        const hyper = Float32Array.of(lr, beta1, beta2, adamEps, weightDecay, 1 / (1 - beta1 ** this.t), 1 / (1 - beta2 ** this.t));
        await this.stepGraph.run({hyper, clip: Float32Array.of(clipScale)});
        this.lora.zeroGradients();
        return {gradNorm, clipScale};
    }

    dispose(): void {
        this.normGraph.dispose();
        this.stepGraph.dispose();
    }
}
