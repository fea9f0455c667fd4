import type {CommandModule} from "yargs";
import {resolveBootstrapConfig} from "../../pipeline/bootstrap-config.js";
import {resolveTrainConfig} from "../../train/train-config.js";
import type {MemoryCheck} from "../../train/memory-check.js";
import {ResourceError} from "../../util/prism-error.js";
import {
    countJsonlRecords, DEVICE_CHOICES, type DeviceArg, formatMemoryCheck, type MemoryCheckArgs, memoryLimitBytes, parseLayers, parseTargets, withMemoryCheckOptions
} from "../memory-options.js";
import {formatDefault, printResult} from "../output.js";
import {runCommand} from "../run-command.js";

/** The run's and the trainer's defaults, for the help text (as bootstrap's and train's). */
const run = resolveBootstrapConfig(), training = resolveTrainConfig();

type PlanArgs = MemoryCheckArgs & {
    model: string, data?: string, objective?: "sft" | "distill" | "mix", rank?: number, targets?: string, layers?: string, batch?: number, "grad-accum"?: number,
    "max-len"?: number, "top-k"?: number, "checkpoint-activations": boolean, "adapter-dtype": "f16" | "f32", device: DeviceArg,
    domains?: string, "queries-per-intent"?: number, "answer-max-tokens"?: number, "context-size"?: number, parallel?: number, gpu: boolean, json: boolean
};

export const PlanCommand: CommandModule<object, PlanArgs> = {
    command: "plan",
    describe: "Memory and disk each stage of a bootstrap (or, with --data, a train) run needs, against what this machine has",
    builder: (y) => withMemoryCheckOptions(y
        .option("model", {type: "string", demandOption: true, group: "Required:", describe: "GGUF model (split files: the first shard)"})
        .option("data", {type: "string", group: "Train:", describe: "Plan `prism train` on this JSONL (default: plan `prism bootstrap`)"})
        .option("objective", {choices: ["sft", "distill", "mix"] as const, group: "Train:", describe: "prism train's objective (default distill; bootstrap always distils)"})
        .option("rank", {type: "number", group: "Adapter:", describe: `LoRA rank (default ${training.rank})`})
        .option("targets", {type: "string", group: "Adapter:", describe: "Projections to adapt (default all seven)"})
        .option("layers", {type: "string", group: "Adapter:", describe: "all, all-but-first (default) or block indices"})
        .option("batch", {type: "number", group: "Adapter:", describe: `Sequences per micro-batch (default ${training.batchSize})`})
        .option("grad-accum", {type: "number", group: "Adapter:", describe: `Micro-batches per step (default ${training.gradAccum})`})
        .option("max-len", {type: "number", group: "Adapter:", describe: `Longest training sequence in tokens (default ${training.maxLen})`})
        .option("top-k", {type: "number", group: "Adapter:", describe: `Teacher tokens kept per position (default ${formatDefault(training.topK)})`})
        .option("checkpoint-activations", {type: "boolean", default: true, group: "Adapter:", describe: "Recompute activations in the backward (--no-checkpoint-activations: keep them)"})
        .option("adapter-dtype", {choices: ["f16", "f32"] as const, default: "f16" as const, group: "Adapter:", describe: "Storage type of the written adapters"})
        .option("device", {choices: DEVICE_CHOICES, default: "auto" as const, group: "Adapter:", describe: "The trainer's and the gate's device"})
        .option("domains", {type: "string", group: "Bootstrap:", describe: "Comma-separated domain names (default: the paper's 12)"})
        .option("queries-per-intent", {type: "number", group: "Bootstrap:", describe: `Queries per domain (default ${run.queriesPerDomain})`})
        .option("answer-max-tokens", {type: "number", group: "Bootstrap:", describe: `Tokens per answer (default ${run.answerMaxTokens})`})
        .option("context-size", {type: "number", group: "Bootstrap:", describe: "The llama engine's tokens per sequence (default: min(4096, the model's))"})
        .option("parallel", {type: "number", group: "Bootstrap:", describe: "The llama engine's parallel sequences (default: 8 when llama.cpp offloads the model to a GPU, else 1, as bootstrap's)"})
        .option("gpu", {type: "boolean", default: true, group: "Bootstrap:", describe: "Generation offloads to a GPU when there is one"})
        .option("json", {type: "boolean", default: false, describe: "Print one JSON object"}))
        .example("$0 plan --model qwen2.5-7b-instruct-q4_k_m.gguf", "what a bootstrap at the defaults needs here")
        .example("$0 plan --model m.gguf --data distill.jsonl --batch 1 --grad-accum 4", "what prism train needs"),
    handler: (args) => runCommand(async () => {
        const {resolveTrainConfig} = await import("../../train/train-config.js");
        const training = Object.fromEntries(Object.entries({
            rank: args.rank, targets: parseTargets(args.targets), layers: parseLayers(args.layers), batchSize: args.batch, gradAccum: args["grad-accum"],
            maxLen: args["max-len"], topK: args["top-k"]
        }).filter(([, v]) => v !== undefined));
        const limitBytes = memoryLimitBytes(args);
        let check: MemoryCheck;
        if (args.data !== undefined) {
            const {checkMemory} = await import("../../train/memory-check.js");
            check = await checkMemory(args.model, {
                train: resolveTrainConfig({...training, ...(args.objective ? {objective: args.objective} : {})}), examples: countJsonlRecords(args.data),
                checkpointActivations: args["checkpoint-activations"], adapterDtype: args["adapter-dtype"], device: args.device, limitBytes
            });
        } else {
            const [{checkBootstrapMemory}, {resolveBootstrapConfig}] = await Promise.all([import("../../pipeline/bootstrap-memory.js"), import("../../pipeline/bootstrap-config.js")]);
            const config = resolveBootstrapConfig(Object.fromEntries(Object.entries({
                domains: args.domains?.split(",").map((d) => d.trim()).filter(Boolean), queriesPerDomain: args["queries-per-intent"], answerMaxTokens: args["answer-max-tokens"],
                training: Object.keys(training).length > 0 ? training : undefined
            }).filter(([, v]) => v !== undefined)));
            check = await checkBootstrapMemory(args.model, config, {
                contextSize: args["context-size"], parallel: args.parallel, gpu: args.gpu ? "auto" : false, device: args.device, limitBytes,
                checkpointActivations: args["checkpoint-activations"]
            });
        }
        printResult(check, {json: args.json, human: () => formatMemoryCheck(check)});
        if (!check.fits) throw new ResourceError("E_MEMORY", "the run does not fit in this machine's memory (see above)", {hint: check.suggestions.length > 0 ? "rerun with one of the option sets under \"would fit\"" : "use a smaller quantisation of the model or a machine with more memory"});
    })
};
