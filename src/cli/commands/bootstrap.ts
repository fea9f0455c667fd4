import type {CommandModule} from "yargs";
import type {PrismEngine} from "../../engine/engine.js";
import {STAGE_NAMES, type StageName} from "../../run/run-manifest.js";
import type {BootstrapOptions, BootstrapResult} from "../../pipeline/bootstrap.js";
import {resolveBootstrapConfig, type BootstrapConfigInput} from "../../pipeline/bootstrap-config.js";
import {formatRunSummary} from "../../pipeline/run-summary.js";
import {ResourceError, UsageError} from "../../util/prism-error.js";
import {type LlamaArgs, llamaSettings, withLlamaOptions} from "../engine-options.js";
import {resolveTrainConfig} from "../../train/train-config.js";
import {DEVICE_CHOICES, type DeviceArg, type MemoryCheckArgs, memoryLimitBytes, parseLayers, withMemoryCheckOptions} from "../memory-options.js";
import {formatDefault, printResult} from "../output.js";
import {stageProgress} from "../stage-progress.js";
import type {ConfigFlags} from "../config-flags.js";
import {runCommand} from "../run-command.js";

/** The run's and the trainer's defaults, for the help text. */
const run = resolveBootstrapConfig(), training = resolveTrainConfig();

type BootstrapArgs = LlamaArgs & MemoryCheckArgs & {
    device: DeviceArg,
    engine: "llama" | "openai", url?: string, "api-key"?: string, "server-model"?: string,
    model: string, out: string, domains?: string, personas?: string, "persona-length"?: "min" | "short" | "long",
    "queries-per-intent"?: number, "held-out"?: number, placement?: "system" | "user", judge?: "pairwise" | "pointwise",
    "judge-temperature"?: number, "persona-temperature"?: number, "query-temperature"?: number, "answer-temperature"?: number, "answer-max-tokens"?: number, "thinking-max-tokens"?: number, truncate?: number,
    rank?: number, alpha?: number, layers?: string, epochs?: number, lr?: number, "max-len"?: number, batch?: number, "grad-accum"?: number, "eval-every"?: number,
    "gate-kind"?: "auto" | "mlp" | "logreg", "gate-threshold"?: string, seed?: number, stages?: string, json: boolean
};

export const BootstrapCommand: CommandModule<object, BootstrapArgs> = {
    command: "bootstrap",
    describe: "Run PRISM on a model: personas, queries, paired answers, self-verification, data sets, adapter, gate, summary (resumable)",
    builder: (y) => withMemoryCheckOptions(withLlamaOptions(y
        .option("model", {type: "string", demandOption: true, group: "Required:", describe: "GGUF model (a chat model: it writes, answers, judges and is trained)"})
        .option("out", {type: "string", demandOption: true, group: "Required:", describe: "Run directory; running again resumes it"})
        .option("domains", {type: "string", group: "Data:", describe: "Comma-separated domain names (default: the paper's 12)"})
        .option("personas", {type: "string", group: "Data:", conflicts: "domains", describe: "JSONL of hand-written personas, {\"domain\", \"persona\"} a line (instead of model-written ones)"})
        .option("persona-length", {choices: ["min", "short", "long"] as const, group: "Data:", describe: `Persona used for queries, answers and the teacher (default ${run.personaLength})`})
        .option("queries-per-intent", {type: "number", group: "Data:", describe: `Queries kept per domain (default ${run.queriesPerDomain})`})
        .option("held-out", {type: "number", group: "Data:", describe: `Share of each domain's queries held out for the gate (default ${run.heldOutShare})`})
        .option("placement", {choices: ["system", "user"] as const, group: "Data:", describe: `Persona in the system turn or the user turn (default ${run.placement})`})
        .option("answer-max-tokens", {type: "number", group: "Data:", describe: `Tokens per answer (default ${run.answerMaxTokens})`})
        .option("thinking-max-tokens", {type: "number", group: "Data:", describe: `Extra tokens a reasoning model (<think> in its template) may think for in each call (default ${run.thinkingMaxTokens})`})
        .option("persona-temperature", {type: "number", group: "Data:", describe: `Sampling temperature of the personas the model writes (default ${run.personaTemperature})`})
        .option("query-temperature", {type: "number", group: "Data:", describe: `Sampling temperature of the queries the model writes (default ${run.queryTemperature})`})
        .option("answer-temperature", {type: "number", group: "Data:", describe: `Sampling temperature of both answers to each query, with and without the persona (default ${run.answerTemperature}; 0 is greedy)`})
        .option("judge", {choices: ["pairwise", "pointwise"] as const, group: "Self-verification:", describe: "Pairwise, both orders (default), or pointwise 1-10"})
        .option("judge-temperature", {type: "number", group: "Self-verification:", describe: `0 is greedy, the paper's judge (default ${run.judgeTemperature})`})
        .option("truncate", {type: "number", group: "Self-verification:", describe: `Characters of each answer the judge sees (default ${run.truncateChars})`})
        .option("rank", {type: "number", group: "Adapter:", describe: `LoRA rank (default ${training.rank})`})
        .option("alpha", {type: "number", group: "Adapter:", describe: `LoRA alpha (default ${training.alpha})`})
        .option("layers", {type: "string", group: "Adapter:", describe: "Blocks adapted: all, all-but-first (default: the paper's; block 0 is what the gate reads) or indices like 1,2,3"})
        .option("epochs", {type: "number", group: "Adapter:", describe: `Passes over the distill set (default ${training.epochs})`})
        .option("lr", {type: "number", group: "Adapter:", describe: `Peak learning rate (default ${formatDefault(training.lr)})`})
        .option("max-len", {type: "number", group: "Adapter:", describe: `Longest training sequence in tokens (default ${training.maxLen})`})
        .option("batch", {type: "number", group: "Adapter:", describe: `Sequences per training micro-batch (default ${training.batchSize}); training memory grows with batch × max-len`})
        .option("grad-accum", {type: "number", group: "Adapter:", describe: `Micro-batches per optimiser step (default ${training.gradAccum}): a smaller --batch with more accumulation keeps the step's size`})
        .option("eval-every", {type: "number", group: "Adapter:", describe: "Evaluate the held-out persona wins every N optimiser steps and keep the adapter of the lowest held-out loss (default: before and after only)"})
        .option("device", {choices: DEVICE_CHOICES, default: "auto" as const, group: "Adapter:", describe: "ggml device of training and the gate's features: auto (a GPU backend when one loads, else cpu), cpu, cuda, vulkan"})
        .option("gate-kind", {choices: ["auto", "mlp", "logreg"] as const, group: "Gate:", describe: `auto keeps the MLP unless logistic regression has the better held-out AUC (default ${run.gate.kind})`})
        .option("gate-threshold", {type: "string", group: "Gate:", describe: `A number in [0, 1], or calibrate (default ${run.gate.threshold})`})
        .option("seed", {type: "number", group: "Run:", describe: `Seeds every stage (default ${run.seed})`})
        .option("stages", {type: "string", group: "Run:", describe: `Run only these stages, comma-separated (${STAGE_NAMES.join(",")}); earlier ones must be done`})
        .option("json", {type: "boolean", default: false, describe: "Print the result (stages run, counts, summary) as one JSON document"})))
        .option("parallel", {type: "number", group: "Engine:", describe: "Requests generated together (default: 8 when llama.cpp runs on a GPU, else 1, which is reproducible bit for bit; more batches, but sampled text then varies between runs; openai: requests in flight, default 8)"})
        .option("engine", {choices: ["llama", "openai"] as const, default: "llama" as const, group: "Engine:", describe: "What writes personas, queries, answers and verdicts: embedded llama.cpp, or an OpenAI-compatible server serving the same model (the teacher pass, training and the gate stay local)"})
        .option("url", {type: "string", group: "Engine:", describe: "The server's API root for --engine openai, e.g. http://127.0.0.1:8000/v1"})
        .option("server-model", {type: "string", group: "Engine:", describe: "The server's name for the model (--engine openai; default: the first of its GET /models)"})
        .option("api-key", {type: "string", group: "Engine:", describe: "Bearer token for --engine openai (default: $OPENAI_API_KEY)"})
        .example("$0 bootstrap --model qwen2.5-0.5b-instruct.gguf --out runs/qwen", "the whole pipeline with the paper's settings")
        .example("$0 bootstrap --model tiny.gguf --out runs/t --queries-per-intent 4 --domains math,coding,critic", "a quick run")
        .example("$0 bootstrap --model qwen.gguf --out runs/q --engine openai --url http://127.0.0.1:8000/v1", "generation on a vLLM server, training here"),
    handler: (args) => runCommand(async (signal) => {
        const progress = stageProgress();
        let result: BootstrapResult;
        let engine: PrismEngine | undefined;
        try {
            const {bootstrap} = await import("../../pipeline/bootstrap.js");
            engine = await serverEngine(args);
            const memoryCheck = args["skip-memory-check"] ? false as const : {limitBytes: memoryLimitBytes(args)};
            result = await bootstrap({
                ...toConfig(args), ...llamaSettings(args), model: args.model, out: args.out, engine, device: args.device, memoryCheck, stages: parseStages(args.stages), signal, onEvent: progress.onEvent
            });
        } finally {
            progress.stop();
            await engine?.dispose();
        }
        printResult({dir: result.dir, ran: result.ran, invalidated: result.invalidated, stages: result.manifest.stages, summary: result.summary ?? null}, {
            json: args.json,
            human: () => {
                const done = result.ran.length === 0 ? `${result.dir}: nothing to do, every stage asked for is done` : `${result.dir}: ran ${result.ran.join(", ")}`;
                return result.summary ? `${done}\n\n${formatRunSummary(result.summary)}` : done;
            }
        });
    }, {configFlags: BOOTSTRAP_FLAGS})
};

const TRAINING_FLAGS = {rank: "rank", alpha: "alpha", layers: "layers", epochs: "epochs", lr: "lr", maxLen: "max-len", batchSize: "batch", gradAccum: "grad-accum", evalEvery: "eval-every"};

/** Which flag sets which field (see toConfig), so a bad value is reported by its flag. */
const BOOTSTRAP_FLAGS: ConfigFlags = {
    "bootstrap config": {
        domains: "domains", personasFile: "personas", personaLength: "persona-length", queriesPerDomain: "queries-per-intent", heldOutShare: "held-out",
        placement: "placement", answerMaxTokens: "answer-max-tokens", judge: "judge", judgeTemperature: "judge-temperature",
        personaTemperature: "persona-temperature", queryTemperature: "query-temperature", answerTemperature: "answer-temperature",
        truncateChars: "truncate", thinkingMaxTokens: "thinking-max-tokens", seed: "seed", "gate.kind": "gate-kind", "gate.threshold": "gate-threshold",
        ...Object.fromEntries(Object.entries(TRAINING_FLAGS).map(([field, flag]) => [`training.${field}`, flag]))
    },
    "training config": TRAINING_FLAGS
};

/** The flags that were given, as config fields (unset flags leave the library's defaults). */
function toConfig(args: BootstrapArgs): BootstrapConfigInput {
    const training = Object.fromEntries(Object.entries({rank: args.rank, alpha: args.alpha, layers: parseLayers(args.layers), epochs: args.epochs, lr: args.lr, maxLen: args["max-len"], batchSize: args.batch, gradAccum: args["grad-accum"], evalEvery: args["eval-every"]}).filter(([, v]) => v !== undefined));
    const threshold = args["gate-threshold"];
    if (threshold !== undefined && threshold !== "calibrate" && !(Number(threshold) >= 0 && Number(threshold) <= 1))
        throw new UsageError(`--gate-threshold must be a number in [0, 1] or "calibrate" (got ${threshold})`);
    const config: BootstrapConfigInput = {
        domains: args.domains?.split(",").map((d) => d.trim()).filter((d) => d !== ""), personasFile: args.personas,
        personaLength: args["persona-length"], queriesPerDomain: args["queries-per-intent"], heldOutShare: args["held-out"], placement: args.placement,
        answerMaxTokens: args["answer-max-tokens"], judge: args.judge, judgeTemperature: args["judge-temperature"],
        personaTemperature: args["persona-temperature"], queryTemperature: args["query-temperature"], answerTemperature: args["answer-temperature"], truncateChars: args.truncate, thinkingMaxTokens: args["thinking-max-tokens"],
        seed: args.seed, ...(Object.keys(training).length > 0 ? {training} : {}),
        ...(args["gate-kind"] !== undefined || threshold !== undefined
            ? {gate: {kind: args["gate-kind"] ?? "auto", threshold: threshold === undefined ? 0.5 : threshold === "calibrate" ? "calibrate" : Number(threshold)}} : {})
    };
    return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as BootstrapConfigInput;
}

function parseStages(list: string | undefined): BootstrapOptions["stages"] {
    if (list === undefined) return undefined;
    const stages = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
    const unknown = stages.filter((s) => !(STAGE_NAMES as readonly string[]).includes(s));
    if (unknown.length > 0 || stages.length === 0) throw new UsageError(`--stages: unknown stage ${unknown.join(", ") || "(none given)"}`, {hint: `stages: ${STAGE_NAMES.join(", ")}`});
    return stages as StageName[];
}

/** With --engine openai, the server that generates (its model name asked of GET /models when not given). */
async function serverEngine(args: BootstrapArgs): Promise<PrismEngine | undefined> {
    if (args.engine === "llama") {
        if (args.url || args["server-model"]) throw new UsageError("--url and --server-model are for --engine openai");
        return undefined;
    }
    if (!args.url) throw new UsageError("--engine openai needs --url (the server's API root, e.g. http://127.0.0.1:8000/v1)");
    const {OpenAIEngine} = await import("../../engine/openai-engine.js");
    const model = args["server-model"] ?? await firstServerModel(args.url, args["api-key"]);
    return new OpenAIEngine({baseURL: args.url, model, apiKey: args["api-key"], concurrency: args.parallel});
}

async function firstServerModel(url: string, apiKey = process.env.OPENAI_API_KEY): Promise<string> {
    const endpoint = `${url.replace(/\/+$/, "")}/models`;
    let body: unknown;
    try {
        const response = await fetch(endpoint, {headers: apiKey ? {authorization: `Bearer ${apiKey}`} : {}});
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        body = await response.json();
    } catch (err) {
        throw new ResourceError("E_SERVER", `could not list the server's models (${endpoint}: ${(err as Error).message})`, {cause: err, hint: "check --url, or name the model with --server-model"});
    }
    const id = (body as {data?: {id?: unknown}[]}).data?.[0]?.id;
    if (typeof id !== "string") throw new UsageError(`${endpoint} lists no model`, {hint: "name the model with --server-model"});
    return id;
}

