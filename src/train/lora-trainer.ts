import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {GgmlBackendOptions} from "../ggml/ggml-backend.js";
import type {GgmlGraphAllocator} from "../ggml/ggml-graph-allocator.js";
import {projectionShape} from "../model/model-hparams.js";
import {GgmlType, ggmlTypeName} from "../model/ggml-type.js";
import {GgufFile} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {assertTrainerSupports, readModelHparams, type ModelHparams} from "../model/model-hparams.js";
import {ggufEffectiveAlpha, loraLayers, loraScale} from "../lora/lora-config.js";
import type {LoraWeights} from "../lora/lora-weights.js";
import {copyFileAtomic} from "../util/atomic-write.js";
import {UsageError} from "../util/prism-error.js";
import {Rng} from "../util/rng.js";
import {AdamW} from "./adamw.js";
import {clipScale} from "./adamw-options.js";
import {BatchPlan} from "./batch-plan.js";
import {CheckpointFormatError, readCheckpoint, restoreCheckpointTensors, saveCheckpoint, type HeldOutPoint} from "./checkpoint.js";
import {CompiledGraph, CompiledGraphCache} from "./compiled-graph.js";
import {DropoutPool} from "./dropout-pool.js";
import {GgmlModel} from "./ggml-model.js";
import {LoraTensors, type LoraModuleShape} from "./lora-tensors.js";
import {lrAt, warmupSteps} from "./lr-schedule.js";
import {buildMicroBatch, type MicroBatch} from "./micro-batch.js";
import {computeTeacherTargets, type TeacherTargets} from "./teacher-targets.js";
import {objectiveWeights, resolveTrainConfig, type TrainConfig, type TrainConfigInput} from "./train-config.js";
import {checkExampleTokens, type TrainingExample} from "./training-example.js";
import {buildTrainingGraph, trainingGraphNodes, type TrainingGraphInput, type TrainingGraphOutput, type TrainingShape} from "./training-graph.js";
import {prepareTransposedWeights, type TransposedWeights} from "./transposed-weights.js";

export type LoraTrainerOptions = TrainConfigInput & {
    modelPath: string,
    /** Compute device. Defaults to `"auto"`. */
    device?: GgmlBackendOptions["device"],
    /** CPU threads. Defaults to `"auto"` (the available cores). */
    threads?: GgmlBackendOptions["threads"],
    /**
     * Recompute each block's activations in the backward from its input instead of keeping them: activation memory
     * of one block instead of all, for about a third more matrix products. Defaults to `true`.
     */
    checkpointActivations?: boolean
};

/** Figures derived from the config and data, reported before step 0. */
export type TrainPlan = {
    examples: number, totalSteps: number, stepsPerEpoch: number, warmupSteps: number, startStep: number,
    trainableParameters: number, adaptedModules: number, layers: number[],
    /** Mean prompt + answer tokens per optimiser step, and answer (scored) tokens per step. */
    tokensPerStep: number, answerTokensPerStep: number,
    device: string, threads: number,
    /**
     * How the backward multiplies by the frozen weights: F32 models use Wᵀ in F32; F16 and quantized ones (any GGUF
     * type, K-quants included) use their dequantized Wᵀ in F16. The output head's is kept (sizeBytes); the blocks'
     * are made in the graph one projection at a time. The forward always uses W as stored.
     */
    backwardWeights: {types: string[], copyType: "F32" | "F16" | "mixed", sizeBytes: number},
    /** Whether block activations are recomputed in the backward (LoraTrainerOptions.checkpointActivations). */
    checkpointActivations: boolean
};

export type TrainProgress = {
    phase: "teacher" | "train",
    step: number, totalSteps: number, epoch: number,
    /** Objective per answer token, averaged over the step. */
    loss: number, lr: number, gradNorm: number,
    tokensPerSecond: number, elapsedMs: number, etaMs: number,
    /** Matrix-product FLOPs the step executed, and its wall time. */
    stepFlops: number, stepMs: number
};

export type TrainOptions = {
    /** Folder for checkpoint.gguf (and best-checkpoint.gguf). Without it nothing is checkpointed. */
    checkpointDir?: string,
    /**
     * What to do with a run already checkpointed in checkpointDir: `false` refuses to overwrite it, `true` continues
     * it (and starts a new run when there is none), `"required"` continues it and refuses a folder without one.
     * Defaults to `false`.
     */
    resume?: boolean | "required",
    /**
     * Held-out examples, evaluated every config.evalEvery steps (and at the last) when evalEvery > 0: the adapter of
     * the lowest held-out loss is the one the trainer holds when the run completes.
     */
    heldOut?: readonly TrainingExample[],
    /** Stops after the current step, writing a checkpoint first. */
    signal?: AbortSignal,
    onStart?(plan: TrainPlan): void,
    onProgress?(p: TrainProgress): void,
    /** Each held-out evaluation; `best` when it is the lowest held-out loss so far. */
    onEvaluate?(point: HeldOutPoint & {best: boolean}): void
};

export type HeldOutCurve = {
    /** The held-out loss at step 0 (the base model), every evalEvery steps, and at the last step. */
    curve: HeldOutPoint[],
    /** The trained step of the lowest held-out loss: its adapter is the run's result. */
    best: {step: number, loss: number} | null
};

export type TrainResult = {
    /** False when stopped by the signal (a checkpoint holds the progress). */
    completed: boolean,
    steps: number, totalSteps: number,
    losses: number[],
    tokensPerSecond: number, elapsedMs: number,
    /** With evaluation during training (config.evalEvery > 0 and held-out examples); otherwise null. */
    heldOut: HeldOutCurve | null
};

/** Where a run starts (see startingPoint), with the best adapter so far when it evaluates. */
type StartingPoint = {step: number, elapsedMs: number, curve: HeldOutPoint[], best: {step: number, loss: number, params: Float32Array} | null};

export type EvaluationResult = {
    /** Cross-entropy of the answers per token (nats). */
    sftLoss: number,
    /** Mean KL(teacher top-k ‖ student) per answer token at temperature T (without the T² factor); null without teachers. */
    kl: number | null,
    answerTokens: number
};

export const CHECKPOINT_FILE = "checkpoint.gguf";
/** The checkpoint of the step with the lowest held-out loss (evaluation during training only). */
export const BEST_CHECKPOINT_FILE = "best-checkpoint.gguf";
const MAX_CACHED_GRAPHS = 6;

/**
 * Trains a LoRA adapter on a frozen GGUF model with ggml: SFT on the answers, context distillation from the
 * persona-prompted teacher, or a mix. AdamW with warm-up and cosine decay, clipping, accumulation, dropout,
 * seeded, checkpointed and resumable; with config.evalEvery, evaluated on a held-out set as it goes, keeping the
 * adapter of the lowest held-out loss.
 *
 *     using trainer = await LoraTrainer.create({modelPath, objective: "distill", rank: 16});
 *     const result = await trainer.train(examples, {checkpointDir: out, signal, onProgress});
 *     await writeGgufLora(path.join(out, "adapter.gguf"), trainer.adapter());
 */
export class LoraTrainer {
    private readonly graphs = new CompiledGraphCache<TrainingGraphInput, TrainingGraphOutput>(MAX_CACHED_GRAPHS);
    private readonly teacherCache = new WeakMap<TrainingExample, TeacherTargets>();
    private readonly graphFlops = new WeakMap<object, number>();
    private dropoutRng: Rng;

    private constructor(
        readonly config: TrainConfig,
        readonly model: GgmlModel,
        readonly lora: LoraTensors,
        private readonly transposed: TransposedWeights,
        private readonly dropout: DropoutPool | undefined,
        private readonly allocator: GgmlGraphAllocator,
        private readonly optimizer: AdamW,
        readonly checkpointActivations: boolean
    ) {
        this.dropoutRng = new Rng(config.seed).fork("dropout-rows");
    }

    static async create(options: LoraTrainerOptions): Promise<LoraTrainer> {
        const {modelPath, device, threads, checkpointActivations = true} = options;
        const {config, modules} = await checkTrainingSettings(options);
        const model = await GgmlModel.load({modelPath, device, threads});
        try {
            const rng = new Rng(config.seed);
            const lora = LoraTensors.create(model.ggml, model.backend, {modules, rank: config.rank, scale: loraScale(config), training: true});
            lora.initialize(rng.fork("lora-init"));
            const transposed = await prepareTransposedWeights(model.ggml, model.backend, model.weights, Math.min(...modules.map((m) => m.layer)));
            // Routed expert tensors' LoRA trains without dropout (moe-ffn.ts): only the projections' widths need pools.
            const dropoutWidths = modules.filter((m) => m.nExpert === undefined).map((m) => m.inDim);
            const dropout = config.dropout > 0 && dropoutWidths.length > 0
                ? DropoutPool.create(model.ggml, model.backend, {widths: dropoutWidths, probability: config.dropout, scale: loraScale(config), rng: rng.fork("dropout-pool")})
                : undefined;
            const allocator = model.backend.createAllocator();
            const optimizer = new AdamW(model.ggml, model.backend, allocator, lora, config);
            return new LoraTrainer(config, model, lora, transposed, dropout, allocator, optimizer, checkpointActivations);
        } catch (err) {
            model.dispose();
            throw err;
        }
    }

    get trainableParameters(): number {
        return this.lora.parameterCount;
    }

    /** The adapter as it stands, with the effective alpha llama.cpp needs and the base model's fingerprint. */
    adapter(): LoraWeights {
        return this.lora.read({arch: this.model.hparams.arch.name, alpha: ggufEffectiveAlpha(this.config), baseModelFingerprint: this.model.fingerprint});
    }

    /** Trains on the examples (see TrainOptions); one call at a time per trainer. */
    train(examples: readonly TrainingExample[], options: TrainOptions = {}): Promise<TrainResult> {
        return this.model.lock.run(() => this.trainUnlocked(examples, options));
    }

    /** Losses of the current adapter on examples (no dropout, no update): the held-out check of a run. */
    evaluate(examples: readonly TrainingExample[], options: {signal?: AbortSignal} = {}): Promise<EvaluationResult> {
        return this.model.lock.run(() => this.evaluateUnlocked(examples, options));
    }

    /**
     * The training loop. Every step runs the same beats in the same order: the learning rate; forward and backward
     * over the step's micro-batches, their gradients accumulating in the adapter's; clip by global norm; the AdamW
     * update; zero the gradients; log; evaluate the held-out set and checkpoint when due; stop on the signal.
     */
    private async trainUnlocked(examples: readonly TrainingExample[], options: TrainOptions): Promise<TrainResult> {
        const c = this.config;
        const weights = objectiveWeights(c);
        if (examples.length === 0) throw new UsageError("no training examples");
        const heldOut = c.evalEvery > 0 ? options.heldOut ?? [] : [];
        const evaluating = heldOut.length > 0;
        checkExampleTokens(examples, this.model.hparams.nVocab);
        checkExampleTokens(heldOut, this.model.hparams.nVocab);
        if (evaluating && weights.distill > 0 && !heldOut.every((e) => e.teacherPrompt))
            throw new UsageError("the held-out examples need the teacher's prompt (teacher_system) for a distillation objective");
        const plan = new BatchPlan({lengths: examples.map((e) => e.prompt.length + e.response.length), batchSize: c.batchSize, gradAccum: c.gradAccum, epochs: c.epochs, maxSteps: c.maxSteps, seed: c.seed});
        const data = {train: fingerprintExamples(examples), heldOut: evaluating ? fingerprintExamples(heldOut) : undefined};
        const start = await this.startingPoint(options, plan.totalSteps, data);
        options.onStart?.(this.describePlan(examples, plan, start.step));

        const teachers = weights.distill > 0 ? await this.teacherTargets(examples, options) : [];
        if (evaluating && heldOut.every((e) => e.teacherPrompt)) await this.teacherTargets(heldOut, options);
        const checkpointPath = options.checkpointDir ? path.join(options.checkpointDir, CHECKPOINT_FILE) : undefined;
        const losses: number[] = [], curve = start.curve;
        let best = start.best;
        const started = performance.now();
        const elapsed = () => start.elapsedMs + performance.now() - started;
        let trainedTokens = 0, step = start.step, lastLoss: number | null = null;
        const save = async () => {
            if (!checkpointPath) return;
            await saveCheckpoint(checkpointPath, this.model.ggml, this.lora, {
                step, totalSteps: plan.totalSteps, optimizerStep: this.optimizer.t, rng: this.dropoutRng.state,
                baseModelFingerprint: this.model.fingerprint, dataFingerprint: data.train, dataPosition: {epoch: Math.floor(step / plan.stepsPerEpoch), stepInEpoch: step % plan.stepsPerEpoch},
                config: c, loss: lastLoss, elapsedMs: elapsed(),
                ...(data.heldOut ? {heldOut: {dataFingerprint: data.heldOut, curve, best: best && {step: best.step, loss: best.loss}}} : {})
            });
        };
        if (evaluating && step === 0) {
            const point = await this.heldOutPoint(0, heldOut); // the base model's, for reference; never the kept adapter
            curve.push(point);
            options.onEvaluate?.({...point, best: false});
        }

        while (step < plan.totalSteps) {
            const stepStarted = performance.now();
            const lr = lrAt(step, plan.totalSteps, c);
            // Forward and backward over the micro-batches; each token's loss weight is its objective's share over the step's answer tokens.
            const microBatches = plan.microBatches(step);
            const scored = microBatches.flat().reduce((n, i) => n + examples[i]!.response.length, 0);
            let loss = 0, stepFlops = 0;
            for (const ids of microBatches) {
                const batch = buildMicroBatch(ids.map((i) => examples[i]!), ids.map((i) => teachers[i]), {
                    tokenWeight: {sft: weights.sft / scored, distill: weights.distill / scored}, temperature: c.temperature, topK: c.topK,
                    dropout: this.dropout ? {pool: this.dropout, modules: this.lora.modules.filter((m) => m.nExpert === undefined), rng: this.dropoutRng} : undefined
                });
                const result = await this.forwardBackward(batch);
                loss += result.loss;
                stepFlops += result.flops;
                trainedTokens += batch.sequenceTokens;
            }
            // Clip the step's gradient to gradClip by global norm, update, and zero the accumulators for the next step.
            const gradNorm = await this.optimizer.gradNorm();
            await this.optimizer.step(lr, clipScale(gradNorm, c.gradClip));
            this.lora.zeroGradients();
            step++;
            lastLoss = loss;
            losses.push(loss);
            const ms = performance.now() - started;
            options.onProgress?.({
                phase: "train", step, totalSteps: plan.totalSteps, epoch: plan.epochOf(step - 1), loss, lr, gradNorm,
                tokensPerSecond: trainedTokens / (ms / 1000), elapsedMs: elapsed(), etaMs: (ms / (step - start.step)) * (plan.totalSteps - step),
                stepFlops, stepMs: performance.now() - stepStarted
            });

            // Evaluate when due: a new lowest held-out loss makes this step's adapter the run's result.
            let newBest = false;
            if (evaluating && (step % c.evalEvery === 0 || step === plan.totalSteps)) {
                const point = await this.heldOutPoint(step, heldOut);
                curve.push(point);
                newBest = best === null || point.loss < best.loss;
                if (newBest) best = {step, loss: point.loss, params: this.readParams()};
                options.onEvaluate?.({...point, best: newBest});
            }
            const stopping = options.signal?.aborted ?? false;
            if (stopping || newBest || step % c.checkpointEvery === 0 || step === plan.totalSteps) await save();
            if (newBest && checkpointPath) await copyFileAtomic(checkpointPath, path.join(options.checkpointDir!, BEST_CHECKPOINT_FILE));
            if (stopping) break;
            await new Promise<void>((resolve) => setImmediate(resolve)); // let Ctrl-C and timers run between steps
        }
        const completed = step === plan.totalSteps;
        if (completed && best && best.step !== step) this.writeParams(best.params);
        const ms = performance.now() - started;
        return {
            completed, steps: step, totalSteps: plan.totalSteps, losses, tokensPerSecond: trainedTokens / (ms / 1000), elapsedMs: elapsed(),
            heldOut: evaluating ? {curve, best: best && {step: best.step, loss: best.loss}} : null
        };
    }

    /**
     * Where a run starts: step 0, or the step of the checkpoint in checkpointDir. The one place a run's folder is
     * checked against `resume`, and a checkpoint against this trainer's model and settings and the data; a resumed
     * run gets back its adapter, optimiser moments, dropout rng, held-out curve and best adapter.
     */
    private async startingPoint(options: TrainOptions, totalSteps: number, data: {train: string, heldOut?: string}): Promise<StartingPoint> {
        const fresh: StartingPoint = {step: 0, elapsedMs: 0, curve: [], best: null};
        const dir = options.checkpointDir;
        if (!dir) return fresh;
        if (!checkRunFolder(dir, options.resume ?? false)) return fresh;
        const checkpointPath = path.join(dir, CHECKPOINT_FILE), bestPath = path.join(dir, BEST_CHECKPOINT_FILE);

        const checkpoint = await readCheckpoint(checkpointPath);
        const {state} = checkpoint;
        if (state.baseModelFingerprint !== this.model.fingerprint)
            throw new UsageError(`${checkpointPath} was trained on a different base model (fingerprint ${state.baseModelFingerprint}, this model is ${this.model.fingerprint})`, {
                hint: "resume with the --model the run started with, or start a fresh run in a new --out"
            });
        const changed = Object.keys(state.config).filter((k) => JSON.stringify(state.config[k as keyof TrainConfig]) !== JSON.stringify(this.config[k as keyof TrainConfig]));
        if (changed.length > 0)
            throw new UsageError(`${checkpointPath} was started with different settings (${changed.map((k) => `${k}: ${JSON.stringify(state.config[k as keyof TrainConfig])}`).join(", ")})`, {
                hint: "resume with the settings the run started with, or start a fresh run in a new --out"
            });
        if (state.dataFingerprint !== data.train)
            throw new UsageError(`${checkpointPath} was trained on different data`, {hint: "resume with the --data the run started with, or start a fresh run in a new --out"});
        if (state.heldOut?.dataFingerprint !== data.heldOut)
            throw new UsageError(`${checkpointPath} was evaluated on a different held-out set`, {hint: "resume with the --eval-data the run started with, or start a fresh run in a new --out"});
        if (state.totalSteps !== totalSteps) throw new Error(`internal: the resumed run plans ${totalSteps} steps, the checkpoint ${state.totalSteps}`);

        // The best adapter so far is this checkpoint's own when its step is the best, else best-checkpoint.gguf's.
        const recorded = state.heldOut?.best ?? null;
        let best: StartingPoint["best"] = null;
        if (recorded && recorded.step !== state.step) {
            const bestCheckpoint = await readCheckpoint(bestPath);
            if (bestCheckpoint.state.step !== recorded.step)
                throw new CheckpointFormatError(bestPath, `holds step ${bestCheckpoint.state.step}, but the run's lowest held-out loss was at step ${recorded.step}`);
            restoreCheckpointTensors(bestCheckpoint, this.model.ggml, this.lora);
            best = {...recorded, params: this.readParams()};
        }
        restoreCheckpointTensors(checkpoint, this.model.ggml, this.lora);
        if (recorded && recorded.step === state.step) {
            best = {...recorded, params: this.readParams()};
            await copyFileAtomic(checkpointPath, bestPath); // in case the run stopped between writing the two
        }
        this.optimizer.t = state.optimizerStep;
        this.dropoutRng = new Rng(state.rng);
        return {step: state.step, elapsedMs: state.elapsedMs, curve: state.heldOut?.curve ?? [], best};
    }

    /** The held-out objective (weighted as the training loss is) and KL after `step` steps. */
    private async heldOutPoint(step: number, heldOut: readonly TrainingExample[]): Promise<HeldOutPoint> {
        const {sftLoss, kl} = await this.evaluateUnlocked(heldOut, {});
        const w = objectiveWeights(this.config);
        return {step, loss: w.sft * sftLoss + w.distill * this.config.temperature ** 2 * (kl ?? 0), kl};
    }

    /** Every A and B, as one array (the flat parameter tensor). */
    private readParams(): Float32Array {
        return this.model.ggml.readFloat32(this.lora.flat("param"));
    }

    private writeParams(params: Float32Array): void {
        this.model.ggml.write(this.lora.flat("param"), params);
    }

    /** Figures derived from the config and data, reported before step 0. */
    private describePlan(examples: readonly TrainingExample[], plan: BatchPlan, startStep: number): TrainPlan {
        const c = this.config;
        const tokens = (step: number, count: (e: TrainingExample) => number) => plan.microBatches(step).flat().reduce((n, i) => n + count(examples[i]!), 0);
        const sampleSteps = Array.from({length: Math.min(plan.totalSteps, 32)}, (_, i) => i);
        return {
            examples: examples.length, totalSteps: plan.totalSteps, stepsPerEpoch: plan.stepsPerEpoch, warmupSteps: warmupSteps(c, plan.totalSteps), startStep,
            trainableParameters: this.trainableParameters, adaptedModules: this.lora.modules.length, layers: [...new Set(this.lora.modules.map((m) => m.layer))],
            tokensPerStep: mean(sampleSteps.map((s) => tokens(s, (e) => e.prompt.length + e.response.length))),
            answerTokensPerStep: mean(sampleSteps.map((s) => tokens(s, (e) => e.response.length))),
            device: this.model.backend.device.description, threads: this.model.backend.threads, backwardWeights: this.describeBackwardWeights(),
            checkpointActivations: this.checkpointActivations
        };
    }

    private async evaluateUnlocked(examples: readonly TrainingExample[], options: {signal?: AbortSignal}): Promise<EvaluationResult> {
        const c = this.config;
        checkExampleTokens(examples, this.model.hparams.nVocab);
        const withTeacher = examples.every((e) => e.teacherPrompt);
        const teachers = withTeacher ? await this.teacherTargets(examples, options) : [];
        const total = examples.reduce((n, e) => n + e.response.length, 0);
        let sft = 0, klScaled = 0;
        for (let start = 0; start < examples.length; start += c.batchSize) {
            const ids = Array.from({length: Math.min(c.batchSize, examples.length - start)}, (_, i) => start + i);
            const batch = buildMicroBatch(ids.map((i) => examples[i]!), ids.map((i) => teachers[i]), {
                tokenWeight: {sft: 1 / total, distill: withTeacher ? 1 / total : 0}, temperature: c.temperature, topK: c.topK, evaluation: true
            });
            const graph = this.graphFor(batch.shape);
            await graph.run(batch.inputs);
            sft += graph.read("sftLoss")[0]!;
            if (withTeacher) klScaled += graph.read("distillLossQ")[0]! + batch.distillConstant;
        }
        return {sftLoss: sft, kl: withTeacher ? klScaled / c.temperature ** 2 : null, answerTokens: total};
    }

    private describeBackwardWeights(): TrainPlan["backwardWeights"] {
        const linears = this.model.weights.blocks.flatMap((b) => Object.values(b.linear)).concat(this.model.weights.output ? [this.model.weights.output.linear] : []);
        const types = [...new Set(linears.map((l) => ggmlTypeName(l.type)))];
        const copies = new Set(linears.map((l) => (l.type === GgmlType.F32 ? "F32" : "F16")));
        return {types, copyType: copies.size > 1 ? "mixed" : (copies.values().next().value as "F32" | "F16"), sizeBytes: this.transposed.sizeBytes};
    }

    /** Teacher top-k targets of examples, computed once per example object. */
    private async teacherTargets(examples: readonly TrainingExample[], options: TrainOptions): Promise<TeacherTargets[]> {
        const missing = examples.filter((e) => !this.teacherCache.has(e));
        if (missing.length > 0) {
            const started = performance.now();
            const computed = await computeTeacherTargets(this.model, missing, {
                topK: this.config.topK, temperature: this.config.temperature, batchSize: this.config.batchSize, signal: options.signal,
                onProgress: (done, total) => options.onProgress?.({
                    phase: "teacher", step: done, totalSteps: total, epoch: 0, loss: 0, lr: 0, gradNorm: 0, tokensPerSecond: 0,
                    elapsedMs: performance.now() - started, etaMs: ((performance.now() - started) / done) * (total - done), stepFlops: 0, stepMs: 0
                })
            });
            missing.forEach((e, i) => this.teacherCache.set(e, computed[i]!));
        }
        return examples.map((e) => this.teacherCache.get(e)!);
    }

    /** Forward and backward of one micro-batch: its loss, and its gradients added to the adapter's accumulators. */
    private async forwardBackward(batch: MicroBatch): Promise<{loss: number, flops: number}> {
        const graph = this.graphFor(batch.shape);
        await graph.run(batch.inputs);
        let loss = 0;
        if (batch.shape.sft) loss += graph.read("sftLoss")[0]!;
        if (batch.shape.distill) loss += graph.read("distillLossQ")[0]! + batch.distillConstant;
        let flops = this.graphFlops.get(graph);
        if (flops === undefined) this.graphFlops.set(graph, (flops = graph.graph.matmulFlops()));
        return {loss, flops};
    }

    private graphFor(shape: TrainingShape): CompiledGraph<TrainingGraphInput, TrainingGraphOutput> {
        const h = this.model.hparams;
        const nodes = trainingGraphNodes(h, this.model.weights, shape.M);
        return this.graphs.get(JSON.stringify(shape), () => CompiledGraph.build(this.model.ggml, this.model.backend, this.allocator, nodes, (ctx) =>
            buildTrainingGraph(ctx, {
                h, weights: this.model.weights, transposed: this.transposed, lora: this.lora, dropout: this.dropout, temperature: this.config.temperature,
                checkpointActivations: this.checkpointActivations
            }, shape)));
    }

    get disposed(): boolean {
        return this.model.disposed;
    }

    dispose(): void {
        if (this.model.disposed) return;
        this.graphs.dispose();
        this.optimizer.dispose();
        this.dropout?.dispose();
        this.transposed.ctx.dispose();
        this.lora.dispose();
        this.model.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }
}

/**
 * Whether `dir` holds a run to continue, refusing one that `resume` does not allow (see TrainOptions.resume). Cheap,
 * so callers can run it before slow work of their own; training runs it again (with the checkpoint's own checks).
 */
export function checkRunFolder(dir: string, resume: boolean | "required"): boolean {
    const checkpointPath = path.join(dir, CHECKPOINT_FILE);
    if (!fs.existsSync(checkpointPath)) {
        if (resume === "required") throw new UsageError(`nothing to resume: ${checkpointPath} does not exist`, {hint: "drop --resume to start a new run"});
        return false;
    }
    if (!resume) throw new UsageError(`${dir} already holds a training run (${CHECKPOINT_FILE})`, {hint: "pass --resume to continue it, or choose another --out"});
    return true;
}

/**
 * The settings resolved and checked against the model file, and the projections they adapt: the one check of a
 * trainer's options, cheap (nothing is loaded), so callers can run it before slow work of their own.
 */
export async function checkTrainingSettings(options: LoraTrainerOptions): Promise<{config: TrainConfig, modules: LoraModuleShape[]}> {
    const {modelPath, device: _device, threads: _threads, checkpointActivations: _checkpointActivations, ...settings} = options;
    const config = resolveTrainConfig(settings);
    const file = await GgufFile.open(modelPath);
    if (file.fileType === "adapter") throw new InvalidModelFileError(modelPath, "this is a LoRA adapter, not a model", {hint: "pass the base model with --model"});
    const hparams = readModelHparams(file);
    assertTrainerSupports(file, hparams);
    return {config, modules: planLoraModules(config, hparams)};
}

/** The projections a config adapts in a model; refuses a rank larger than any of them. */
export function planLoraModules(config: TrainConfig, h: ModelHparams): LoraModuleShape[] {
    const modules = loraLayers(config, h.nLayer).flatMap((layer) => config.targets.map((target) => ({layer, target, ...projectionShape(h, target)})));
    if (modules.length === 0) throw new UsageError(`no layer to adapt: the model has ${h.nLayer} block(s) and --layers is ${JSON.stringify(config.layers)}`);
    for (const m of modules)
        if (config.rank > Math.min(m.inDim, m.outDim))
            throw new UsageError(`--rank ${config.rank} is larger than the ${m.target} projection's dimensions (${m.inDim}×${m.outDim})`, {hint: `use a rank of at most ${Math.min(m.inDim, m.outDim)}`});
    return modules;
}

/** Identity of tokenized examples (order matters: it fixes the batches). */
export function fingerprintExamples(examples: readonly TrainingExample[]): string {
    const hash = crypto.createHash("sha256");
    for (const e of examples) hash.update(JSON.stringify([e.prompt, e.response, e.teacherPrompt ?? null]));
    return "sha256:" + hash.digest("hex").slice(0, 32);
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
