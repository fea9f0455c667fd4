import path from "node:path";
import {z} from "zod";
import {loadChatTokenizer} from "../engine/load-chat-tokenizer.js";
import {writeGgufLora} from "../lora/gguf-lora.js";
import {writePeftAdapter} from "../lora/peft-adapter.js";
import type {ChatTokenizer} from "../model/chat-tokenizer.js";
import {LoraTrainer} from "../train/lora-trainer.js";
import {resolveTrainConfig, type TrainConfig, type TrainConfigInput} from "../train/train-config.js";
import {readChatRecords, tokenizeExamples, type TrainingExample} from "../train/training-example.js";
import {readJsonl} from "../util/jsonl.js";
import {InterruptedError, UsageError} from "../util/prism-error.js";
import type {BootstrapConfig} from "./bootstrap-config.js";
import {DatasetRecord} from "./run-records.js";
import type {StageContext, StageResult} from "./stage-context.js";

const StepLoss = z.object({step: z.number().int().min(1), loss: z.number()});

/**
 * The trainer's config for a run: the run's `training` settings, objective `distill`, seeded by the run's seed
 * unless `training.seed` says otherwise. Checked when a run starts, so a bad setting fails before hours of generation.
 */
export function distillTrainConfig(config: BootstrapConfig): TrainConfig {
    const training = config.training as TrainConfigInput;
    if (training.objective !== undefined && training.objective !== "distill")
        throw new UsageError(`bootstrap config: training.objective is ${JSON.stringify(training.objective)}; the PRISM adapter is trained by distillation`, {hint: "leave training.objective out (prism train offers sft and mix)"});
    return resolveTrainConfig({seed: config.seed, ...training, objective: "distill"});
}

export type DistillExamples = {train: TrainingExample[], heldOut: TrainingExample[], truncated: number};

/**
 * The distill set as training examples: the student's prompt is the query alone; the teacher's is the query with
 * the persona, placed where the persona answers had it (the teacher must really see the persona, or the KL it
 * teaches is zero). Split into the training and held-out shares of stage 2.
 */
export async function distillExamples(distillFile: string, tokenizer: ChatTokenizer, maxLen: number): Promise<DistillExamples> {
    const records = await readChatRecords(distillFile);
    const meta = await readJsonl(distillFile, DatasetRecord);
    const placement = meta[0]?.placement ?? "system";
    const part = (split: string) => records.filter((_, i) => meta[i]!.split === split);
    // The teacher sees the persona where the persona answers had it.
    const options = {maxLen, needTeacher: true, teacherInSystemTurn: placement === "system"};
    const train = tokenizeExamples(part("train"), tokenizer, options);
    const heldOut = tokenizeExamples(part("heldOut"), tokenizer, options);
    return {train: train.examples, heldOut: heldOut.examples, truncated: train.truncated + heldOut.truncated};
}

/**
 * Stage 6. Context distillation of the persona wins into a LoRA adapter (rank 16, alpha 32, all seven projections,
 * every block but the first, by default): the student sees the query without the persona and learns the base
 * model's next-token distributions *with* the persona along the winning answer. Trained on the training share,
 * with the held-out share's KL measured before and after (and, with training.evalEvery, every evalEvery steps: the
 * adapter kept is then the one of the lowest held-out loss); checkpointed, so an interrupted training resumes.
 * Writes the adapter as GGUF (llama.cpp) and as a PEFT directory.
 */
export async function distillStage(ctx: StageContext): Promise<StageResult> {
    const trainConfig = distillTrainConfig(ctx.config);
    const tokenizer = await loadChatTokenizer(ctx.modelPath);
    let examples: DistillExamples;
    try {
        examples = await distillExamples(ctx.run.path("distill"), tokenizer, trainConfig.maxLen);
    } finally {
        await tokenizer.dispose();
    }
    using trainer = await LoraTrainer.create({...trainConfig, modelPath: ctx.modelPath, threads: ctx.threads, device: ctx.device});
    const evaluate = async () => (examples.heldOut.length > 0 ? (await trainer.evaluate(examples.heldOut, {signal: ctx.signal})).kl : null);
    const klBefore = await evaluate();
    let phase = "";
    // The loss of every step, kept across interruptions (a step redone after resuming from a checkpoint overwrites its entry).
    const losses = new Map((await ctx.run.readRecords("trainLosses", StepLoss)).map((l) => [l.step, l.loss]));
    using lossLog = ctx.run.appender("trainLosses");
    const result = await trainer.train(examples.train, {
        checkpointDir: ctx.run.path("trainCheckpointDir"), resume: true, heldOut: examples.heldOut, signal: ctx.signal,
        onStart: (plan) => ctx.log(`${plan.examples} examples, ${plan.totalSteps} steps, ${plan.trainableParameters.toLocaleString("en-US")} trainable parameters in blocks ${plan.layers.join(",")}${plan.startStep > 0 ? `, resuming at step ${plan.startStep}` : ""}`),
        onProgress: (p) => {
            if (p.phase !== phase) {
                phase = p.phase;
                ctx.log(p.phase === "teacher" ? "teacher targets (the base model with the persona)" : "training");
            }
            if (p.phase === "train") {
                losses.set(p.step, p.loss);
                lossLog.append({step: p.step, loss: p.loss});
            }
            ctx.progress(p.step, p.totalSteps, p.phase === "train" ? {loss: p.loss.toFixed(4)} : undefined);
        },
        onEvaluate: (e) => ctx.log(`held-out at step ${e.step}: loss ${e.loss.toFixed(4)}${e.best ? " (best so far)" : ""}`)
    });
    if (!result.completed) {
        throw new InterruptedError(`bootstrap interrupted during distill at step ${result.steps} of ${result.totalSteps}; the checkpoint is saved`, {hint: "run the same command again to resume where it stopped"});
    }
    const klAfter = await evaluate();
    const adapter = trainer.adapter();
    await writeGgufLora(ctx.run.path("adapter"), adapter, {name: `prism-persona-${path.basename(ctx.run.dir)}`});
    await writePeftAdapter(ctx.run.path("peftDir"), adapter, {
        config: trainer.config, base: {path: ctx.modelPath, hparams: trainer.model.hparams, fingerprint: trainer.model.fingerprint}
    });
    return {
        counts: {trainExamples: examples.train.length, heldOutExamples: examples.heldOut.length, truncatedAnswers: examples.truncated, steps: result.steps},
        details: {
            config: trainer.config, examples: {train: examples.train.length, heldOut: examples.heldOut.length},
            losses: [...losses].sort(([a], [b]) => a - b).map(([, loss]) => loss), heldOutKl: {before: klBefore, after: klAfter},
            ...(result.heldOut ? {heldOutCurve: result.heldOut.curve, bestStep: result.heldOut.best?.step ?? null} : {}), tokensPerSecond: result.tokensPerSecond, elapsedMs: result.elapsedMs
        }
    };
}
