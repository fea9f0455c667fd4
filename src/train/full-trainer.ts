import {GgmlBackend, ggmlBuildFor, type GgmlBackendOptions} from "../ggml/ggml-backend.js";
import type {GgmlGraphAllocator} from "../ggml/ggml-graph-allocator.js";
import {Ggml} from "../ggml/ggml.js";
import {GgmlType} from "../model/ggml-type.js";
import {GgufFile} from "../model/gguf-file.js";
import {writeGguf, type GgufTensorToWrite} from "../model/gguf-writer.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {assertTrainerSupports, readModelHparams, type ModelHparams} from "../model/model-hparams.js";
import {encodeTensor} from "../model/quantize.js";
import {parseConfig} from "../util/parse-config.js";
import {UsageError} from "../util/prism-error.js";
import {AdamW} from "./adamw.js";
import {clipScale} from "./adamw-options.js";
import {BatchPlan} from "./batch-plan.js";
import {CompiledGraph, CompiledGraphCache} from "./compiled-graph.js";
import {lrAt} from "./lr-schedule.js";
import {buildMicroBatch} from "./micro-batch.js";
import {TrainConfig} from "./train-config.js";
import {TrainableWeights} from "./trainable-weights.js";
import {checkExampleTokens, type TrainingExample} from "./training-example.js";
import {buildTrainingGraph, trainingGraphNodes, type TrainingGraphInput, type TrainingGraphOutput, type TrainingShape} from "./training-graph.js";
import {prepareTransposedWeights, type TransposedWeights} from "./transposed-weights.js";
import type {z} from "zod";

/** The settings of full-parameter SFT: the LoRA trainer's schedule, optimiser and batching, without the adapter's. */
export const FullTrainConfig = TrainConfig.pick({
    epochs: true, maxSteps: true, lr: true, warmupRatio: true, minLrRatio: true, weightDecay: true, beta1: true, beta2: true, adamEps: true,
    gradClip: true, batchSize: true, gradAccum: true, maxLen: true, seed: true
});
export type FullTrainConfig = z.output<typeof FullTrainConfig>;

export type FullTrainerOptions = z.input<typeof FullTrainConfig> & {
    modelPath: string,
    device?: GgmlBackendOptions["device"],
    threads?: GgmlBackendOptions["threads"],
    /** Recompute each block's activations in its backward (see LoraTrainerOptions). Defaults to `true`. */
    checkpointActivations?: boolean
};

export type FullTrainProgress = {step: number, totalSteps: number, epoch: number, loss: number, lr: number, gradNorm: number, tokensPerSecond: number, elapsedMs: number};

export type FullTrainResult = {completed: boolean, steps: number, totalSteps: number, losses: number[], tokensPerSecond: number, elapsedMs: number};

const MAX_CACHED_GRAPHS = 6;

/**
 * Trains every weight of a small dense model with prism's own backward (the LoRA trainer's graph, with each
 * weight's gradient accumulated as well): cross-entropy on the answers only, AdamW with warm-up and cosine decay,
 * clipping. Whole-sequence training (llama.cpp's llama_opt_epoch) spends its loss on the prompts; this spends it
 * where a chat model's behaviour is, and reaches the embeddings, norms and output head that a LoRA cannot.
 * In memory only: no checkpoints (the world build, its user, writes nothing when interrupted).
 *
 *     using trainer = await FullTrainer.create({modelPath, lr: 1e-3, epochs: 4});
 *     await trainer.train(examples, {signal, onProgress});
 *     await trainer.save(out);
 */
export class FullTrainer {
    private readonly graphs = new CompiledGraphCache<TrainingGraphInput, TrainingGraphOutput>(MAX_CACHED_GRAPHS);

    private constructor(
        readonly config: FullTrainConfig,
        private readonly file: GgufFile,
        readonly hparams: ModelHparams,
        readonly ggml: Ggml,
        private readonly backend: GgmlBackend,
        readonly trainable: TrainableWeights,
        private readonly transposed: TransposedWeights,
        private readonly allocator: GgmlGraphAllocator,
        private readonly optimizer: AdamW,
        private readonly checkpointActivations: boolean
    ) {}

    static async create(options: FullTrainerOptions): Promise<FullTrainer> {
        const {modelPath, device, threads, checkpointActivations = true, ...settings} = options;
        const config = parseConfig(FullTrainConfig, settings, "full-parameter training config");
        const file = await GgufFile.open(modelPath);
        if (file.fileType === "adapter") throw new InvalidModelFileError(modelPath, "this is a LoRA adapter, not a model", {hint: "pass the base model"});
        const hparams = readModelHparams(file);
        assertTrainerSupports(file, hparams);
        const ggml = await Ggml.load({gpu: ggmlBuildFor(device)});
        const backend = GgmlBackend.create(ggml, {device, threads});
        try {
            const trainable = TrainableWeights.create(ggml, backend, file, hparams);
            // No precomputed Wᵀ: the graph transposes W as it stands at each step.
            const transposed = await prepareTransposedWeights(ggml, backend, trainable.weights, 0);
            const allocator = backend.createAllocator();
            const optimizer = new AdamW(ggml, backend, allocator, trainable, config);
            return new FullTrainer(config, file, hparams, ggml, backend, trainable, transposed, allocator, optimizer, checkpointActivations);
        } catch (err) {
            backend.dispose();
            throw err;
        }
    }

    get trainableParameters(): number {
        return this.trainable.parameterCount;
    }

    /** Cross-entropy of the answers per answer token (nats) under the current weights. */
    async evaluate(examples: readonly TrainingExample[]): Promise<{sftLoss: number, answerTokens: number}> {
        const {loss, answerTokens} = await this.meanAnswerLoss(examples, false);
        return {sftLoss: loss, answerTokens};
    }

    /**
     * Adds the gradient of the examples' mean answer loss to the accumulators (read them with trainable.readGrad;
     * zero them with trainable.zeroGradients) and returns the loss: the training loop's forward and backward, for checks.
     */
    async accumulateGradients(examples: readonly TrainingExample[]): Promise<number> {
        return (await this.meanAnswerLoss(examples, true)).loss;
    }

    /**
     * The training loop: per step the learning rate; forward and backward over its micro-batches; clip by global
     * norm; AdamW; zero the gradients; report; stop on the signal (after the step; `completed` is then false).
     */
    async train(examples: readonly TrainingExample[], options: {signal?: AbortSignal, onStart?(plan: {totalSteps: number, stepsPerEpoch: number}): void,
        onProgress?(p: FullTrainProgress): void} = {}): Promise<FullTrainResult> {
        const c = this.config;
        if (examples.length === 0) throw new UsageError("no training examples");
        checkExampleTokens(examples, this.hparams.nVocab);
        const plan = new BatchPlan({lengths: examples.map((e) => e.prompt.length + e.response.length), batchSize: c.batchSize, gradAccum: c.gradAccum, epochs: c.epochs, maxSteps: c.maxSteps, seed: c.seed});
        options.onStart?.({totalSteps: plan.totalSteps, stepsPerEpoch: plan.stepsPerEpoch});
        const losses: number[] = [];
        const started = performance.now();
        let tokens = 0, step = 0;
        while (step < plan.totalSteps) {
            if (options.signal?.aborted) break;
            const lr = lrAt(step, plan.totalSteps, c);
            const microBatches = plan.microBatches(step);
            // Each answer token weighs 1 / (the step's answer tokens): the step's loss is their mean.
            const scored = microBatches.flat().reduce((n, i) => n + examples[i]!.response.length, 0);
            let loss = 0;
            for (const ids of microBatches) {
                const batch = await this.runMicroBatch(ids.map((i) => examples[i]!), 1 / scored, true);
                loss += batch.loss;
                tokens += batch.sequenceTokens;
            }
            const gradNorm = await this.optimizer.gradNorm();
            await this.optimizer.step(lr, clipScale(gradNorm, c.gradClip));
            this.trainable.zeroGradients();
            step++;
            losses.push(loss);
            const ms = performance.now() - started;
            options.onProgress?.({step, totalSteps: plan.totalSteps, epoch: plan.epochOf(step - 1), loss, lr, gradNorm, tokensPerSecond: tokens / (ms / 1000), elapsedMs: ms});
            await new Promise<void>((resolve) => setImmediate(resolve)); // let Ctrl-C and timers run between steps
        }
        const ms = performance.now() - started;
        return {completed: step === plan.totalSteps, steps: step, totalSteps: plan.totalSteps, losses, tokensPerSecond: tokens / (ms / 1000), elapsedMs: ms};
    }

    /** Writes the model as trained: the source's metadata and tensor order, trained weights in F32, anything else as it was. */
    async save(out: string): Promise<void> {
        const trained = new Set(this.trainable.named.map((n) => n.name));
        const tensors: GgufTensorToWrite[] = this.file.tensors.map((t) => trained.has(t.name)
            ? {name: t.name, type: GgmlType.F32, shape: [...t.shape], data: encodeTensor(this.trainable.read(t.name), GgmlType.F32)}
            : {name: t.name, type: t.type, shape: [...t.shape], data: this.file.readTensorBytes(t)});
        await writeGguf(out, this.file.metadata, tensors);
    }

    /** The mean answer loss of examples in batches of config.batchSize, with its gradient accumulated when `backward`. */
    private async meanAnswerLoss(examples: readonly TrainingExample[], backward: boolean): Promise<{loss: number, answerTokens: number}> {
        checkExampleTokens(examples, this.hparams.nVocab);
        const answerTokens = examples.reduce((n, e) => n + e.response.length, 0);
        let loss = 0;
        for (let start = 0; start < examples.length; start += this.config.batchSize)
            loss += (await this.runMicroBatch(examples.slice(start, start + this.config.batchSize), 1 / answerTokens, backward)).loss;
        return {loss, answerTokens};
    }

    /** One micro-batch's answer loss, each answer token weighing `tokenWeight`; its gradient accumulated when `backward`. */
    private async runMicroBatch(examples: readonly TrainingExample[], tokenWeight: number, backward: boolean): Promise<{loss: number, sequenceTokens: number}> {
        const batch = buildMicroBatch(examples, [], {tokenWeight: {sft: tokenWeight, distill: 0}, temperature: 1, topK: 1, evaluation: !backward});
        const graph = this.graphFor(batch.shape);
        await graph.run(batch.inputs);
        return {loss: graph.read("sftLoss")[0]!, sequenceTokens: batch.sequenceTokens};
    }

    private graphFor(shape: TrainingShape): CompiledGraph<TrainingGraphInput, TrainingGraphOutput> {
        const h = this.hparams, weights = this.trainable.weights;
        return this.graphs.get(JSON.stringify(shape), () => CompiledGraph.build(this.ggml, this.backend, this.allocator, trainingGraphNodes(h, weights, shape.M), (ctx) =>
            buildTrainingGraph(ctx, {
                h, weights, transposed: this.transposed, grads: shape.backward ? this.trainable.grads : undefined, temperature: 1, checkpointActivations: this.checkpointActivations
            }, shape)));
    }

    get disposed(): boolean {
        return this.backend.disposed;
    }

    dispose(): void {
        if (this.backend.disposed) return;
        this.graphs.dispose();
        this.optimizer.dispose();
        this.transposed.ctx.dispose();
        this.trainable.dispose();
        this.backend.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }
}
