import type {CommandModule} from "yargs";
import {resolveTrainConfig} from "../../train/train-config.js";
import type {TrainLoraResult} from "../../train/train-lora.js";
import {InterruptedError} from "../../util/prism-error.js";
import {countJsonlRecords, DEVICE_CHOICES, type DeviceArg, type MemoryCheckArgs, memoryLimitBytes, parseLayers, parseTargets, withMemoryCheckOptions} from "../memory-options.js";
import {formatBytes, formatDefault, formatTable, printResult} from "../output.js";
import {keyedProgress} from "../progress.js";
import type {ConfigFlags} from "../config-flags.js";
import {runCommand} from "../run-command.js";

/** The trainer's defaults, for the help text. */
const d = Object.fromEntries(Object.entries(resolveTrainConfig()).map(([k, v]) => [k, formatDefault(v)])) as Record<keyof ReturnType<typeof resolveTrainConfig>, string>;

type TrainArgs = MemoryCheckArgs & {
    model: string, data: string, out: string, "eval-data"?: string, "eval-every"?: number,
    objective: "sft" | "distill" | "mix", "distill-weight"?: number, temperature?: number, "top-k"?: number,
    rank?: number, alpha?: number, dropout?: number, targets?: string, layers?: string,
    epochs?: number, "max-steps"?: number, lr?: number, "weight-decay"?: number, "warmup-ratio"?: number, "grad-clip"?: number,
    batch?: number, "grad-accum"?: number, "max-len"?: number, seed?: number, "checkpoint-every"?: number,
    threads?: number, device: DeviceArg, "adapter-dtype": "f16" | "f32", "checkpoint-activations": boolean, resume: boolean, json: boolean
};

export const TrainCommand: CommandModule<object, TrainArgs> = {
    command: "train",
    describe: "Train a LoRA adapter on a GGUF model: distil persona-prompted answers (or fine-tune on them) with ggml",
    builder: (y) => withMemoryCheckOptions(y)
        .option("model", {type: "string", demandOption: true, group: "Required:", describe: "Base model (GGUF)"})
        .option("data", {type: "string", demandOption: true, group: "Required:", describe: "JSONL of {\"messages\": [...], \"teacher_system\": \"persona\"}; the last message is the answer to learn"})
        .option("out", {type: "string", demandOption: true, group: "Required:", describe: "Run folder: checkpoint.gguf, adapter.gguf (llama.cpp), peft/ (Hugging Face PEFT), train-summary.json"})
        .option("objective", {choices: ["sft", "distill", "mix"] as const, default: resolveTrainConfig().objective, group: "Objective:", describe: "distill: KL to the teacher that sees teacher_system; sft: cross-entropy on the answers; mix: both"})
        .option("distill-weight", {type: "number", group: "Objective:", describe: `With mix, the distillation share (default ${d.distillWeight})`})
        .option("temperature", {type: "number", group: "Objective:", describe: `Distillation temperature; the loss is scaled by T² (default ${d.temperature})`})
        .option("top-k", {type: "number", group: "Objective:", describe: `Teacher tokens kept per position (default ${d.topK})`})
        .option("rank", {type: "number", group: "LoRA:", describe: `Rank (default ${d.rank})`})
        .option("alpha", {type: "number", group: "LoRA:", describe: `Alpha; the scale is alpha / rank (default ${d.alpha})`})
        .option("dropout", {type: "number", group: "LoRA:", describe: `Dropout on the adapter's input (default ${d.dropout})`})
        .option("targets", {type: "string", group: "LoRA:", describe: `Projections to adapt (default ${d.targets}); a mixture of experts also takes gate_exps, up_exps, down_exps (its routed experts)`})
        .option("layers", {type: "string", group: "LoRA:", describe: "all, all-but-first (default: block 0 stays as the gate reads it), or indices like 1,2,3"})
        .option("epochs", {type: "number", group: "Optimisation:", describe: `Passes over the data (default ${d.epochs})`})
        .option("max-steps", {type: "number", group: "Optimisation:", describe: "Stop after this many steps (default: all epochs)"})
        .option("lr", {type: "number", group: "Optimisation:", describe: `Peak learning rate (default ${d.lr}), warm-up then cosine decay`})
        .option("weight-decay", {type: "number", group: "Optimisation:", describe: `AdamW weight decay (default ${d.weightDecay})`})
        .option("warmup-ratio", {type: "number", group: "Optimisation:", describe: `Share of steps warming up (default ${d.warmupRatio})`})
        .option("grad-clip", {type: "number", group: "Optimisation:", describe: `Global gradient-norm clip, 0 for none (default ${d.gradClip})`})
        .option("batch", {type: "number", group: "Optimisation:", describe: `Sequences per micro-batch (default ${d.batchSize})`})
        .option("grad-accum", {type: "number", group: "Optimisation:", describe: `Micro-batches per step (default ${d.gradAccum})`})
        .option("max-len", {type: "number", group: "Optimisation:", describe: `Longest prompt + answer in tokens; longer answers are cut (counted), longer prompts refused (default ${d.maxLen})`})
        .option("seed", {type: "number", group: "Optimisation:", describe: `Seed of initialisation, order and dropout (default ${d.seed})`})
        .option("eval-data", {type: "string", group: "Evaluation:", describe: "Held-out JSONL in the --data format, evaluated every --eval-every steps"})
        .option("eval-every", {type: "number", group: "Evaluation:", describe: "Evaluate --eval-data every N optimiser steps and at the last; the adapter written is the one of the lowest held-out loss, and train-summary.json holds the held-out curve"})
        .option("checkpoint-every", {type: "number", group: "Optimisation:", describe: `Steps between checkpoints (default ${d.checkpointEvery})`})
        .option("adapter-dtype", {choices: ["f16", "f32"] as const, default: "f16" as const, group: "Optimisation:", describe: "Storage type of the written adapters (f32 is lossless, twice the size)"})
        .option("checkpoint-activations", {type: "boolean", default: true, group: "Optimisation:", describe: "Recompute each block's activations in the backward (one block's activations in memory at a time); --no-checkpoint-activations trades memory for speed"})
        .option("threads", {type: "number", describe: "CPU threads (default: the available cores)"})
        .option("device", {choices: DEVICE_CHOICES, default: "auto" as const, describe: "ggml device: auto (a GPU backend when one loads, else cpu), cpu, cuda, vulkan"})
        .option("resume", {type: "boolean", default: false, describe: "Continue the run checkpointed in --out"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object"})
        .example("$0 train --model base.gguf --data distill.jsonl --out runs/pirate", "context distillation with the PRISM defaults")
        .example("$0 train --model base.gguf --data sft.jsonl --out runs/sft --objective sft --rank 8 --epochs 2", "supervised fine-tuning")
        .example("$0 train --model base.gguf --data distill.jsonl --out runs/pirate --resume", "continue after Ctrl-C"),
    handler: (args) => runCommand(async (signal) => {
        const progress = keyedProgress({quiet: args.json && !process.stderr.isTTY});
        const [{loadChatTokenizer}, {trainLora}, {checkMemory, assertMemoryFits}] = await Promise.all([
            import("../../engine/load-chat-tokenizer.js"), import("../../train/train-lora.js"), import("../../train/memory-check.js")
        ]);
        const config = {
            objective: args.objective, distillWeight: args["distill-weight"], temperature: args.temperature, topK: args["top-k"],
            rank: args.rank, alpha: args.alpha, dropout: args.dropout, targets: parseTargets(args.targets), layers: parseLayers(args.layers),
            epochs: args.epochs, maxSteps: args["max-steps"], lr: args.lr, weightDecay: args["weight-decay"], warmupRatio: args["warmup-ratio"],
            gradClip: args["grad-clip"], batchSize: args.batch, gradAccum: args["grad-accum"], maxLen: args["max-len"], seed: args.seed,
            checkpointEvery: args["checkpoint-every"], evalEvery: args["eval-every"]
        };
        const tokenizer = await loadChatTokenizer(args.model); // says first when the file is no model
        if (!args["skip-memory-check"]) {
            // The same check as prism plan's, before the model loads for training.
            try {
                const train = resolveTrainConfig(Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)));
                assertMemoryFits(await checkMemory(args.model, {
                    train, examples: countJsonlRecords(args.data), checkpointActivations: args["checkpoint-activations"], adapterDtype: args["adapter-dtype"],
                    device: args.device, limitBytes: memoryLimitBytes(args)
                }));
            } catch (err) {
                await tokenizer.dispose();
                throw err;
            }
        }
        const result = await trainLora({
            modelPath: args.model, dataPath: args.data, evalDataPath: args["eval-data"], outDir: args.out, tokenizer, resume: args.resume, signal,
            device: args.device, threads: args.threads, adapterDtype: args["adapter-dtype"], checkpointActivations: args["checkpoint-activations"],
            ...config,
            onStart: (plan) => {
                process.stderr.write(formatTable([
                    ["examples", plan.examples + (plan.truncatedAnswers > 0 ? ` (${plan.truncatedAnswers} answers cut to --max-len)` : "")],
                    ["trainable parameters", plan.trainableParameters.toLocaleString("en-US") + ` in ${plan.adaptedModules} projections, blocks ${plan.layers.join(",")}`],
                    ["tokens per step", `${Math.round(plan.tokensPerStep)} (${Math.round(plan.answerTokensPerStep)} scored)`],
                    ["steps", `${plan.totalSteps} (${plan.stepsPerEpoch} per epoch, ${plan.warmupSteps} warm-up)` + (plan.startStep > 0 ? `, resuming at ${plan.startStep}` : "")],
                    ["frozen weights", `${plan.backwardWeights.types.join(", ")}; the backward uses ${plan.backwardWeights.copyType} Wᵀ, the output head's kept (${formatBytes(plan.backwardWeights.sizeBytes)}), the blocks' made per block on the fly${plan.checkpointActivations ? "; activations recomputed per block (checkpointing)" : ""}`],
                    ["device", `${plan.device}, ${plan.threads} threads`]
                ]) + "\n");
            },
            onProgress: (p) => progress.update(p.phase, p.step, p.totalSteps, p.phase === "teacher" ? {} : {loss: p.loss.toFixed(4), "tok/s": Math.round(p.tokensPerSecond), left: formatSeconds(p.etaMs)}),
            onEvaluate: (e) => {
                progress.stop();
                process.stderr.write(`held-out at step ${e.step}: loss ${e.loss.toFixed(4)}${e.kl === null ? "" : `, KL ${e.kl.toFixed(4)}`}${e.best ? " (best so far)" : ""}\n`);
            }
        }).finally(() => tokenizer.dispose());
        progress.stop();
        if (!result.completed) {
            process.stderr.write(`stopped at step ${result.steps} of ${result.totalSteps}; checkpoint in ${result.checkpointPath}\n`);
            throw new InterruptedError("training interrupted", {hint: `continue with: prism train --model ${args.model} --data ${args.data} --out ${args.out} --resume`});
        }
        printResult(result, {json: args.json, human: () => formatResult(result)});
    }, {configFlags: TRAIN_FLAGS})
};

function formatSeconds(ms: number): string {
    const s = Math.round(ms / 1000);
    return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

function formatResult(r: TrainLoraResult): string {
    return formatTable([
        ["adapter", r.adapterPath ?? "(none)"], ["PEFT adapter", r.peftPath ?? "(none)"], ["summary", r.summaryPath ?? "(none)"], ["steps", r.steps],
        ["final loss", r.finalLoss === null ? "-" : r.finalLoss.toFixed(4)],
        ...(r.heldOut?.best ? [["held-out loss", `${r.heldOut.best.loss.toFixed(4)} at step ${r.heldOut.best.step} (the adapter written)`] as const] : []), ["tokens/s", Math.round(r.tokensPerSecond)],
        ["time", formatSeconds(r.elapsedMs)], ["examples", r.examples + (r.truncatedAnswers > 0 ? ` (${r.truncatedAnswers} answers cut to --max-len)` : "")]
    ]);
}

/** Which flag sets which field of the training config (see the handler), so a bad value is reported by its flag. */
const TRAIN_FLAGS: ConfigFlags = {
    "training config": {
        objective: "objective", distillWeight: "distill-weight", temperature: "temperature", topK: "top-k", rank: "rank", alpha: "alpha",
        dropout: "dropout", targets: "targets", layers: "layers", epochs: "epochs", maxSteps: "max-steps", lr: "lr", weightDecay: "weight-decay",
        warmupRatio: "warmup-ratio", gradClip: "grad-clip", batchSize: "batch", gradAccum: "grad-accum", maxLen: "max-len", seed: "seed",
        checkpointEvery: "checkpoint-every", evalEvery: "eval-every"
    }
};
