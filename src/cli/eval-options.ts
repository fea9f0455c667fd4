import fs from "node:fs";
import path from "node:path";
import type {Argv} from "yargs";
import {type BenchmarkSpec, defaultDataDir, parseBenchmarks} from "../eval/benchmark-spec.js";
import type {EvaluateOptions} from "../eval/run-evaluation.js";
import {builtinPersonaSet, loadPersonaSet, type PersonaSet} from "../eval/personas/persona-set.js";
import {worldPersonasFrom} from "../eval/personas/world-personas.js";
import type {EvalSummary, SafetySlot} from "../eval/summary/eval-summary.js";
import {DEFAULT_SAFETY_SLOTS, SAFETY_SLOTS, type SafetySlots} from "../eval/summary/overall-score.js";
import {PROTOCOL_NAMES, type ProtocolName} from "../eval/protocol.js";
import type {PrismEngine} from "../engine/engine.js";
import {UsageError} from "../util/prism-error.js";
import type {EngineMiddleware} from "../engine/middleware.js";
import {requireRunManifest, runFiles} from "../run/run-manifest.js";
import {type EngineArgs, openEngine, openEngineOrRun} from "./engine-options.js";
import {formatSummary} from "./format-summary.js";
import {printResult} from "./output.js";
import {keyedProgress} from "./progress.js";

/** The flags `prism eval` and `prism study` share. */
export type EvalArgs = EngineArgs & {
    out: string, bench: string[], data?: string, limit?: number, subjects?: string[], shots: number, personas?: string, run?: string,
    "judge-model"?: string, "judge-url"?: string, "judge-api-key"?: string, "refusal-judge": "judge" | "keyword",
    protocol: ProtocolName, "safety-slots"?: string[], "judge-reasoning-tokens": number, "classifier-model"?: string,
    "max-tokens": number, "safety-max-tokens"?: number, "judge-max-tokens"?: number, "batch-size": number, "score-batch-size": number, "judge-batch-size": number,
    bootstrap: number, json: boolean
};

const list = (values: readonly string[] | undefined) => (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

export function withEvalOptions<T>(y: Argv<T>, defaults: {bench: string}): Argv<T & EvalArgs> {
    return y
        .option("out", {type: "string", demandOption: true, group: "Required:", describe: "Output folder (logs, summary.json); running again into it resumes"})
        .option("bench", {type: "string", array: true, default: [defaults.bench], group: "Benchmarks:", describe: "Comma-separated: mmlu, mt-bench, jbb, harmbench, advbench, xstest, world (the planted world's held-out tasks, scored by code), or NAME=PATH for your own files"})
        .option("data", {type: "string", group: "Benchmarks:", describe: "The datasets folder (default: ../shared/datasets when present)"})
        .option("limit", {type: "number", group: "Benchmarks:", describe: "At most N items per benchmark, spread over its categories"})
        .option("subjects", {type: "string", array: true, group: "Benchmarks:", describe: "MMLU subjects, comma-separated (default: all)"})
        .option("shots", {type: "number", default: 0, group: "Benchmarks:", describe: "MMLU few-shot examples from the dev split"})
        .option("personas", {type: "string", group: "Personas:", describe: "Personas file (JSON or JSONL: domain → min/short/long); default: --run's, else the built-in set (on world tasks: the world's reference personas)"})
        .option("run", {type: "string", group: "Personas:", describe: "A bootstrap run folder: its model (the default --model), personas.json, adapter and, for prism, its gate"})
        .option("judge-model", {type: "string", group: "Judge:", describe: "Judge GGUF (llama) or server model name (with --judge-url); default: the model under test"})
        .option("judge-url", {type: "string", group: "Judge:", describe: "An OpenAI-compatible server for the judge"})
        .option("judge-api-key", {type: "string", group: "Judge:", describe: "Bearer token for --judge-url"})
        .option("protocol", {choices: PROTOCOL_NAMES, default: "standard" as const, group: "Protocol:",
            describe: "standard: lm-eval MMLU, FastChat MT-Bench, JailbreakBench/XSTest refusal judges; paper: the PRISM authors' released evaluation code"})
        .option("safety-slots", {type: "string", array: true, group: "Protocol:",
            describe: "The sets in the overall score's three safety slots: jailbreak=SET,harmbench=SET,pku=SET|FILE (default jailbreak=jbb,harmbench=harmbench; a FILE is run as a set)"})
        .option("refusal-judge", {choices: ["judge", "keyword"] as const, default: "judge" as const, group: "Judge:", describe: "Decide refusals by the protocol's judge prompt, or by the anchor's keyword classifier alone"})
        .option("judge-max-tokens", {type: "number", group: "Judge:", describe: "Override the protocol's judge lengths (MT-Bench: FastChat 2048, paper 512; refusal: 64, paper 10); recorded in the summary"})
        .option("classifier-model", {type: "string", group: "Judge:", describe: "A HarmBench classifier GGUF: HarmBench prompts also get its attack-success rate (harmful compliance, reported apart)"})
        .option("judge-reasoning-tokens", {type: "number", default: 0, group: "Judge:", describe: "Tokens added to every judge budget so a reasoning judge can finish its <think> block"})
        .option("judge-batch-size", {type: "number", default: 8, group: "Judge:", describe: "Judge requests at once (1 turns batching off)"})
        .option("max-tokens", {type: "number", default: 1024, group: "Generation:", describe: "Answer length per MT-Bench turn"})
        .option("safety-max-tokens", {type: "number", group: "Generation:", describe: "Override the protocol's safety response length (256); recorded in the summary"})
        .option("batch-size", {type: "number", default: 8, group: "Generation:", describe: "Generations in flight at once (MT-Bench, safety)"})
        .option("score-batch-size", {type: "number", default: 1, group: "Generation:", describe: "MMLU questions scored at once (1 is fastest on CPU)"})
        .option("bootstrap", {type: "number", default: 2000, group: "Statistics:", describe: "Bootstrap resamples per confidence interval"})
        .option("json", {type: "boolean", default: false, describe: "Print the summary as JSON"}) as Argv<T & EvalArgs>;
}

/** `worldPersonas`: the personas given (--personas, --run's; domains they lack take the world's reference); undefined leaves world tasks the reference personas. */
export type PreparedEval = {benchmarks: BenchmarkSpec[], personas: PersonaSet, worldPersonas?: PersonaSet, runAdapter?: string, safetySlots: SafetySlots};

/** Resolves datasets, personas and a bootstrap run's adapter from the flags (before any model is loaded). */
export async function prepareEval(args: EvalArgs): Promise<PreparedEval> {
    const dataDir = args.data ?? defaultDataDir();
    if (args.data && !fs.existsSync(args.data)) throw new UsageError(`--data ${args.data} does not exist`);
    const benchmarks = parseBenchmarks(list(args.bench), dataDir);
    const safetySlots = parseSafetySlots(list(args["safety-slots"]), benchmarks);
    let runAdapter: string | undefined;
    if (!args.run && !args.model) throw new UsageError("give --model (or --run DIR, a bootstrap run, whose model is then the default)");
    if (args.run) {
        if (!fs.existsSync(args.run)) throw new UsageError(`--run ${args.run} does not exist`, {hint: "pass the folder a bootstrap run wrote"});
        // The run's model is the default: its adapter and gate fit no other.
        if (!args.model && args.engine === "llama") args.model = (await requireRunManifest(args.run)).model.path;
        if (!args.model) throw new UsageError("--engine openai needs --model (the server's model name)");
        const adapter = path.join(args.run, runFiles.adapter);
        if (fs.existsSync(adapter)) runAdapter = adapter;
    }
    const personaSource = args.personas ?? (args.run && [runFiles.personas, "personas.json"].some((f) => fs.existsSync(path.join(args.run!, f))) ? args.run : undefined);
    const personas = personaSource ? await loadPersonaSet(personaSource) : builtinPersonaSet();
    return {benchmarks, personas, ...(personaSource ? {worldPersonas: worldPersonasFrom(personas)} : {}), runAdapter, safetySlots};
}

/**
 * `--safety-slots jailbreak=jbb,harmbench=harmbench,pku=FILE`: the set in each of the overall score's safety slots.
 * A value that is a file (not a set of the run) is added to the run as a set named after the slot.
 */
export function parseSafetySlots(entries: readonly string[], benchmarks?: BenchmarkSpec[]): SafetySlots {
    if (entries.length === 0) return {...DEFAULT_SAFETY_SLOTS};
    const slots: SafetySlots = {};
    for (const entry of entries) {
        const [slot, value] = [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)];
        if (!entry.includes("=") || !(SAFETY_SLOTS as readonly string[]).includes(slot) || value === "")
            throw new UsageError(`bad --safety-slots entry "${entry}"`, {hint: `use SLOT=SET or SLOT=FILE with SLOT one of ${SAFETY_SLOTS.join(", ")}`});
        // Without the run's benchmarks (a rescore), a value is a set name of the logged run.
        const isSet = !benchmarks || benchmarks.some((b) => b.kind === "safety" && b.set === value);
        if (!isSet && benchmarks && fs.existsSync(value) && fs.statSync(value).isFile()) {
            benchmarks.push({kind: "safety", set: slot, source: value});
            slots[slot as SafetySlot] = slot;
        } else if (isSet) slots[slot as SafetySlot] = value;
        else throw new UsageError(`--safety-slots ${slot}=${value}: no such set in --bench and no such file`, {hint: `add ${value} to --bench, or give a file`});
    }
    return slots;
}

/** The judge engine the flags ask for; undefined means the model under test judges itself. */
export async function openJudge(args: EvalArgs, signal: AbortSignal): Promise<PrismEngine | undefined> {
    if (args["judge-url"]) {
        if (!args["judge-model"]) throw new UsageError("--judge-url needs --judge-model (the server's model name)");
        const {OpenAIEngine} = await import("../engine/openai-engine.js");
        return new OpenAIEngine({baseURL: args["judge-url"], model: args["judge-model"], apiKey: args["judge-api-key"], concurrency: args["judge-batch-size"]});
    }
    if (args["judge-model"]) {
        const {LlamaEngine} = await import("../engine/llama-engine.js");
        return LlamaEngine.load({model: args["judge-model"], gpu: args.gpu ? "auto" : false, contextSize: args["context-size"], parallel: args["judge-batch-size"], signal});
    }
    return undefined;
}

/** The evaluation options the shared flags set. */
export function evalSettings(args: EvalArgs): Omit<EvaluateOptions, "engine" | "benchmarks" | "conditions" | "out"> {
    return {
        limit: args.limit, subjects: args.subjects ? list(args.subjects) : undefined, shots: args.shots, protocol: args.protocol,
        refusalClassifier: args["refusal-judge"], judgeMaxTokens: args["judge-max-tokens"], judgeBatchSize: args["judge-batch-size"], judgeReasoningTokens: args["judge-reasoning-tokens"],
        mtBenchMaxTokens: args["max-tokens"], safetyMaxTokens: args["safety-max-tokens"], batchSize: args["batch-size"], scoreBatchSize: args["score-batch-size"], bootstrapIterations: args.bootstrap
    };
}

/** One progress bar per (benchmark, condition) on stderr. */
export function evalProgress(quiet: boolean): {onProgress: EvaluateOptions["onProgress"], stop(): void} {
    const progress = keyedProgress({quiet});
    return {
        onProgress: ({benchmark, condition, done, total}) => progress.update(`${benchmark} ${condition}`, done, total),
        stop: () => progress.stop()
    };
}

export {list as splitList};

/**
 * Opens the model (and judge), runs `run` with them and a progress display, prints the summary, and disposes
 * everything however it ends: the part `prism eval` and `prism study` share.
 */
export async function runWithModels(args: EvalArgs, signal: AbortSignal, prepared: PreparedEval,
    run: (models: {engine: PrismEngine, judge?: PrismEngine, classifier?: PrismEngine, adapters: string[], router?: EngineMiddleware, onProgress: EvaluateOptions["onProgress"]}) => Promise<EvalSummary>,
    options: {routed?: boolean} = {}): Promise<void> {
    const {engine, adapters, router, dispose} = options.routed ? await openRoutedRun(args, signal) : await openPlain(args, signal);
    let judge: PrismEngine | undefined, classifier: PrismEngine | undefined;
    const progress = evalProgress(args.json);
    try {
        judge = await openJudge(args, signal);
        if (args["classifier-model"]) {
            const {LlamaEngine} = await import("../engine/llama-engine.js");
            classifier = await LlamaEngine.load({model: args["classifier-model"], gpu: args.gpu ? "auto" : false, contextSize: args["context-size"], parallel: 1, signal});
        }
        const summary = await run({engine, judge, classifier, adapters, router, onProgress: progress.onProgress});
        progress.stop();
        printResult(summary, {json: args.json, human: () => formatSummary(summary, args.out) + `\npersonas: ${summary.personas}`});
    } finally {
        progress.stop();
        await judge?.dispose();
        await classifier?.dispose();
        await dispose();
    }
}

type OpenedModels = {engine: PrismEngine, adapters: string[], router?: EngineMiddleware, dispose(): Promise<void>};

async function openPlain(args: EvalArgs, signal: AbortSignal): Promise<OpenedModels> {
    const {engine, adapters} = await openEngine(args, signal, {quiet: args.json});
    return {engine, adapters, dispose: () => engine.dispose()};
}

/**
 * For the `prism` condition: the run's model with its adapter (named `RUN_ADAPTER_NAME`) and the gate's routing
 * middleware. Every condition then runs on this one engine, so base, persona, adapter and prism share the weights.
 */
async function openRoutedRun(args: EvalArgs, signal: AbortSignal): Promise<OpenedModels> {
    if (!args.run) throw new UsageError("the prism condition needs --run DIR (a finished bootstrap run: its adapter and gate)");
    if (args.engine !== "llama") throw new UsageError("the prism condition uses the embedded llama engine (the gate reads the model's hidden states)", {hint: "drop --engine openai, or drop prism from --conditions"});
    if (args.adapter.length > 0) throw new UsageError("with the prism condition the run brings its own adapter: drop --adapter");
    // The conditions apply the router themselves (conditionEngine), so they get the unwrapped engine and the middleware.
    const {llama, adapters, router, dispose} = await openEngineOrRun({...args, route: "gate", policy: "first-turn"}, signal);
    return {engine: llama!, adapters, router: router!.middleware, dispose};
}
