import fs from "node:fs";
import path from "node:path";
import type {PrismEngine} from "../engine/engine.js";
import type {EngineMiddleware} from "../engine/middleware.js";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {UsageError} from "../util/prism-error.js";
import {type BenchmarkSpec, benchmarkId} from "./benchmark-spec.js";
import {type Condition, conditionId} from "./condition.js";
import {loadMmlu, type MmluQuestion} from "./data/mmlu-dataset.js";
import {loadMtBench, type MtBenchData} from "./data/mt-bench-dataset.js";
import {loadSafetySet, type SafetyPrompt} from "./data/safety-dataset.js";
import {loadWorldTasks} from "./data/world-tasks.js";
import type {WorldTask} from "../world/world-task.js";
import type {JudgeSettings} from "./judge/judge-engine.js";
import {dataFilesOf, hashFiles} from "./data/data-files.js";
import {MT_BENCH_CATEGORIES} from "./data/mt-bench-dataset.js";
import {describeProtocol, evalProtocol, type EvalProtocol, type ProtocolName, withOverrides} from "./protocol.js";
import {DEFAULT_SAFETY_SLOTS, type SafetySlots} from "./summary/overall-score.js";
import {builtinPersonaSet, describePersonaSet, type PersonaSet} from "./personas/persona-set.js";
import {worldPersonaSet} from "./personas/world-personas.js";
import {conditionEngine} from "./runners/condition-engine.js";
import {MmluRecord, MtBenchRecord, SafetyRecord, WorldRecord} from "./runners/eval-records.js";
import {runMmlu} from "./runners/mmlu-runner.js";
import {runMtBench} from "./runners/mt-bench-runner.js";
import {ResultLog} from "./runners/result-log.js";
import {runSafety} from "./runners/safety-runner.js";
import {runWorld, WORLD_MAX_TOKENS} from "./runners/world-runner.js";
import {buildSummary} from "./summary/build-summary.js";
import type {EvalSummary} from "./summary/eval-summary.js";
import type {ConditionRecords} from "./summary/item-scores.js";

export type EvaluateOptions = {
    /** The model under test. */
    engine: PrismEngine,
    benchmarks: readonly BenchmarkSpec[],
    conditions: readonly Condition[],
    /** Output folder: `logs/<benchmark>/<condition>.jsonl`, `run.json`, `summary.json`. Rerunning into it resumes. */
    out: string,
    /** The judge engine (MT-Bench ratings, refusal yes/no). Defaults to `engine`. */
    judge?: PrismEngine,
    /** Judge requests at once; `1` is unbatched. Defaults to `8`. */
    judgeBatchSize?: number,
    /** The named protocol every setting that changes numbers follows (see protocol.ts). Defaults to `"standard"`. */
    protocol?: ProtocolName,
    /** Overrides the protocol's judge budgets, MT-Bench and refusal (recorded; numbers then follow no anchor exactly). */
    judgeMaxTokens?: number,
    /** Tokens added to every judge budget so a reasoning judge can finish thinking. Defaults to `0`. */
    judgeReasoningTokens?: number,
    /** `"judge"` asks the judge engine; `"keyword"` uses the anchor's keyword classifier alone. Defaults to `"judge"`. */
    refusalClassifier?: "judge" | "keyword",
    /** A HarmBench classifier model (e.g. HarmBench-Llama-2-13b-cls as GGUF): HarmBench prompts also get "attack success", reported apart. */
    classifier?: PrismEngine,
    /** The safety set in each of the paper's three safety slots of the overall score. Defaults to jbb and harmbench. */
    safetySlots?: SafetySlots,
    /** Defaults to the built-in hand-written personas. */
    personas?: PersonaSet,
    /**
     * The personas `persona:*` conditions place on world tasks: a bootstrap run's self-written ones, or a file.
     * Defaults to the world's reference personas (worldPersona, what the world's model is taught to write).
     */
    worldPersonas?: PersonaSet,
    /** The name under which `engine` has the persona adapter (for `adapter` and `prism`). */
    adapter?: string,
    /** The gate's routing middleware (for `prism`). */
    router?: EngineMiddleware,
    /** At most this many items per benchmark, spread across its categories. Defaults to all. */
    limit?: number,
    /** MMLU subjects to run. Defaults to all. */
    subjects?: readonly string[],
    /** MMLU few-shot examples from the dev split. Defaults to `0`. */
    shots?: number,
    /** Answer length for MT-Bench turns. Defaults to `1024`. */
    mtBenchMaxTokens?: number,
    /** Overrides the protocol's safety response length (recorded; numbers then follow no anchor exactly). */
    safetyMaxTokens?: number,
    /** Generations in flight at once (MT-Bench, safety). Defaults to `8`. */
    batchSize?: number,
    /**
     * MMLU questions scored at once. Defaults to `1`: scoring is prompt processing, which llama.cpp already batches
     * over the prompt's tokens, and on CPU concurrent sequences only add overhead (npm run bench:eval).
     */
    scoreBatchSize?: number,
    /** `"eval"` or `"study"` (recorded in the summary). Defaults to `"eval"`. */
    kind?: "eval" | "study",
    /** Definitions to add to the summary's notes (the study explains its grid). */
    notes?: readonly string[],
    /** Bootstrap resamples for confidence intervals. Defaults to `2000`. */
    bootstrapIterations?: number,
    /** Finishes the current batch, keeps the logs, and throws InterruptedError. */
    signal?: AbortSignal,
    onProgress?(p: {benchmark: string, condition: string, done: number, total: number}): void
};

export type LoadedBenchmark =
    | {kind: "mmlu", spec: BenchmarkSpec, questions: MmluQuestion[], dev: Map<string, MmluQuestion[]>}
    | {kind: "mt-bench", spec: BenchmarkSpec, data: MtBenchData}
    | {kind: "safety", spec: BenchmarkSpec, prompts: SafetyPrompt[]}
    | {kind: "world", spec: BenchmarkSpec & {kind: "world"}, tasks: WorldTask[]};

/** Settings that change what a log's records mean: a resumed run must use the same ones. */
export type RunManifest = {
    model: string, judge: string, protocol: ProtocolName, shots: number, mtBenchMaxTokens: number, safetyMaxTokens: number, judgeMaxTokens: number,
    judgeReasoningTokens: number, refusalClassifier: string, classifier: string,
    /** Answer length for world tasks (absent in runs from before the world benchmark). */
    worldMaxTokens?: number
};
/** What `run.json` also records (not compared on resume): what was run, for `prism eval --rescore`. */
export type RunFile = RunManifest & {conditions: string[], benchmarks: BenchmarkSpec[], subjects: string[] | null, limit: number | null};

/**
 * Runs every benchmark under every condition, logging each item as it finishes, then summarises all logs into
 * `summary.json`. An interrupted run resumes where it stopped when started again with the same `out`.
 */
export async function runEvaluation(options: EvaluateOptions): Promise<EvalSummary> {
    const judgeEngine = options.judge ?? options.engine;
    const personas = options.personas ?? builtinPersonaSet();
    const protocol = withOverrides(evalProtocol(options.protocol), {judgeMaxTokens: options.judgeMaxTokens, safetyMaxTokens: options.safetyMaxTokens});
    if ((options.shots ?? 0) > 0 && !protocol.mmlu.allowShots)
        throw new UsageError(`the ${protocol.name} protocol's MMLU is zero-shot`, {hint: "drop --shots, or use --protocol standard"});
    const manifest: RunManifest = {
        model: options.engine.modelId, judge: judgeEngine.modelId, protocol: protocol.name, shots: options.shots ?? 0, mtBenchMaxTokens: options.mtBenchMaxTokens ?? 1024,
        safetyMaxTokens: protocol.safety.maxTokens, judgeMaxTokens: protocol.mtBench.judgeMaxTokens, judgeReasoningTokens: options.judgeReasoningTokens ?? 0,
        refusalClassifier: options.refusalClassifier ?? "judge", classifier: options.classifier?.modelId ?? "none", worldMaxTokens: WORLD_MAX_TOKENS
    };
    const worldPersonas = options.worldPersonas ?? worldPersonaSet();
    // Conditions (adapter, router), data and settings are all checked before any work starts.
    const models = options.conditions.map((condition) => conditionEngine({engine: options.engine, condition, adapter: options.adapter, router: options.router}));
    const loaded = await loadBenchmarks(options);
    await checkManifest(options.out, manifest, {
        conditions: options.conditions.map(conditionId), benchmarks: [...options.benchmarks], subjects: options.subjects ? [...options.subjects] : null, limit: options.limit ?? null
    });
    const judge: JudgeSettings = {engine: judgeEngine, batchSize: options.judgeBatchSize ?? 8, reasoningTokens: manifest.judgeReasoningTokens};
    const records = new Map<string, ConditionRecords>();
    for (const [c, condition] of options.conditions.entries()) {
        const id = conditionId(condition);
        const model = models[c]!;
        const common = {model, condition, personas, protocol, signal: options.signal, batchSize: options.batchSize};
        const mine: ConditionRecords = {mmlu: [], mtBench: [], safety: [], world: []};
        for (const b of loaded) {
            const logPath = logFile(options.out, b.spec, id);
            const total = b.kind === "mmlu" ? b.questions.length : b.kind === "mt-bench" ? b.data.questions.length : b.kind === "world" ? b.tasks.length : b.prompts.length;
            const progress = (log: ResultLog<{id: string}>) => {
                let done = log.size;
                options.onProgress?.({benchmark: benchmarkId(b.spec), condition: id, done, total});
                return () => options.onProgress?.({benchmark: benchmarkId(b.spec), condition: id, done: ++done, total});
            };
            if (b.kind === "mmlu") {
                using log = await ResultLog.open(logPath, MmluRecord);
                await runMmlu({...common, batchSize: options.scoreBatchSize ?? 1, questions: b.questions, dev: b.dev, shots: manifest.shots, log, onItem: progress(log)});
                const wanted = new Set(b.questions.map((q) => q.id));
                mine.mmlu.push(...log.records().filter((r) => wanted.has(r.id)));
            } else if (b.kind === "mt-bench") {
                using log = await ResultLog.open(logPath, MtBenchRecord);
                await runMtBench({...common, questions: b.data.questions, judgePrompts: b.data.judgePrompts, judge, maxTokens: manifest.mtBenchMaxTokens, log, onItem: progress(log)});
                const wanted = new Set(b.data.questions.map((q) => q.id));
                mine.mtBench.push(...log.records().filter((r) => wanted.has(r.id)));
            } else if (b.kind === "world") {
                using log = await ResultLog.open(logPath, WorldRecord);
                await runWorld({...common, personas: worldPersonas, tasks: b.tasks, maxTokens: WORLD_MAX_TOKENS, log, onItem: progress(log)});
                const wanted = new Set(b.tasks.map((t) => t.id));
                mine.world!.push(...log.records().filter((r) => wanted.has(r.id)));
            } else {
                using log = await ResultLog.open(logPath, SafetyRecord);
                await runSafety({...common, prompts: b.prompts, judge: manifest.refusalClassifier === "keyword" ? "keyword" : judge, classifier: options.classifier, log, onItem: progress(log)});
                const wanted = new Set(b.prompts.map((p) => p.id));
                mine.safety.push(...log.records().filter((r) => wanted.has(r.id)));
            }
        }
        records.set(id, mine);
    }
    const summary = summarizeRun({
        manifest, protocol, conditions: options.conditions, personas: describePersonaSet(personas), worldPersonas: describePersonaSet(worldPersonas), loaded, records, options,
        hasJudge: loaded.some((b) => b.kind === "mt-bench") || (loaded.some((b) => b.kind === "safety") && manifest.refusalClassifier !== "keyword")
    });
    await writeJsonAtomic(path.join(options.out, "summary.json"), summary);
    return summary;
}

const WORLD_NOTE = "Planted world: held-out tasks (generateWorldTasks, split heldout: framings the training split never uses) answered greedily and scored by code (scoreWorldAnswer, no judge); " +
    "per domain accuracy x 100; the world overall is the mean over domains; persona conditions place the task domain's persona (placePersona); persona gain = persona - base on the same tasks.";

/** `OUT/logs/<benchmark>/<condition>.jsonl` (colons in condition ids become dashes). */
export function logFile(out: string, spec: BenchmarkSpec, condition: string): string {
    return path.join(out, "logs", benchmarkId(spec), `${condition.replace(/:/g, "-")}.jsonl`);
}

/** The summary of a run's records under its protocol, with every setting and the data files' hashes. */
export function summarizeRun(o: {
    manifest: RunManifest, protocol: EvalProtocol, conditions: readonly Condition[], personas: string, worldPersonas?: string, loaded: readonly LoadedBenchmark[],
    records: ReadonlyMap<string, ConditionRecords>, hasJudge: boolean,
    options: Pick<EvaluateOptions, "kind" | "notes" | "bootstrapIterations" | "limit" | "subjects" | "batchSize" | "scoreBatchSize" | "judgeBatchSize" | "safetySlots">
}): EvalSummary {
    const {manifest, protocol, options} = o;
    const files = o.loaded.flatMap((b) => dataFilesOf(b.spec, {subjects: options.subjects, shots: manifest.shots}));
    const world = o.loaded.find((b) => b.kind === "world");
    const worldPersonas = o.worldPersonas ?? "as logged";
    return buildSummary({
        kind: options.kind ?? "eval", model: manifest.model, personas: world ? `${o.personas}; world tasks: ${worldPersonas}` : o.personas, conditions: o.conditions,
        ...(world ? {world: {tasks: {seed: world.spec.seed, perDomain: world.spec.perDomain}, personas: worldPersonas}} : {}),
        judge: o.hasJudge ? manifest.judge : o.loaded.some((b) => b.kind === "safety") ? "keyword classifier" : "none (scored by code)",
        benchmarks: o.loaded.map((b) => benchmarkId(b.spec)), records: o.records, notes: [...(options.notes ?? []), ...(world ? [WORLD_NOTE] : [])], bootstrapIterations: options.bootstrapIterations,
        settings: {...manifest, limit: options.limit ?? null, subjects: options.subjects ?? null, batchSize: options.batchSize ?? 8, scoreBatchSize: options.scoreBatchSize ?? 1, judgeBatchSize: options.judgeBatchSize ?? 8},
        protocol: describeProtocol(protocol, MT_BENCH_CATEGORIES), data: hashFiles(files),
        safetySlots: options.safetySlots ?? DEFAULT_SAFETY_SLOTS, mtBenchAggregate: protocol.mtBench.aggregate
    });
}

export async function loadBenchmarks(options: Pick<EvaluateOptions, "benchmarks" | "conditions" | "subjects" | "limit" | "shots">): Promise<LoadedBenchmark[]> {
    if (options.benchmarks.length === 0) throw new UsageError("no benchmark to run", {hint: "e.g. --bench mmlu,mt-bench,jbb"});
    if (options.conditions.length === 0) throw new UsageError("no condition to run", {hint: "e.g. --conditions base,persona:short:system"});
    const out: LoadedBenchmark[] = [];
    for (const spec of options.benchmarks) {
        if (spec.kind === "mmlu") {
            const questions = loadMmlu({dir: spec.dir, subjects: options.subjects, limit: options.limit});
            const dev = new Map<string, MmluQuestion[]>();
            if ((options.shots ?? 0) > 0) {
                const subjects = [...new Set(questions.map((q) => q.subject))];
                for (const q of loadMmlu({dir: spec.dir, split: "dev", subjects})) dev.set(q.subject, [...(dev.get(q.subject) ?? []), q]);
            }
            out.push({kind: "mmlu", spec, questions, dev});
        } else if (spec.kind === "mt-bench") out.push({kind: "mt-bench", spec, data: await loadMtBench({dir: spec.dir, limit: options.limit})});
        else if (spec.kind === "world") out.push({kind: "world", spec, tasks: loadWorldTasks(spec, options.limit)});
        else out.push({kind: "safety", spec, prompts: await loadSafetySet({source: spec.source, set: spec.set, limit: options.limit})});
    }
    return out;
}

async function checkManifest(out: string, manifest: RunManifest, what: Omit<RunFile, keyof RunManifest>): Promise<void> {
    const file = path.join(out, "run.json");
    if (fs.existsSync(file)) {
        const previous = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<RunManifest>;
        const changed = (Object.keys(manifest) as (keyof RunManifest)[]).filter((k) => previous[k] !== undefined && previous[k] !== manifest[k]);
        if (changed.length > 0)
            throw new UsageError(`${out} holds a run with different settings (${changed.map((k) => `${k}: ${previous[k]} → ${manifest[k]}`).join(", ")})`,
                {hint: "resume with the same settings, choose a new --out folder, or re-judge the logged answers with --rescore"});
    }
    const file2: RunFile = {...manifest, ...what};
    await writeJsonAtomic(file, file2);
}
