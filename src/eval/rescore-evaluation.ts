import fs from "node:fs";
import path from "node:path";
import type {PrismEngine} from "../engine/engine.js";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {MissingFileError, UsageError} from "../util/prism-error.js";
import {benchmarkId} from "./benchmark-spec.js";
import {parseCondition} from "./condition.js";
import {dataFilesOf, hashFiles} from "./data/data-files.js";
import {MT_BENCH_CATEGORIES} from "./data/mt-bench-dataset.js";
import type {JudgeSettings} from "./judge/judge-engine.js";
import {parseJudgeRating} from "./judge/judge-rating.js";
import {evalProtocol, type EvalProtocol, type ProtocolName, withOverrides} from "./protocol.js";
import {type LoadedBenchmark, loadBenchmarks, logFile, type RunFile, type RunManifest, summarizeRun} from "./run-evaluation.js";
import {MmluRecord, MtBenchRecord, SafetyRecord, WorldRecord} from "./runners/eval-records.js";
import {judgeMtBench} from "./runners/mt-bench-runner.js";
import {ResultLog} from "./runners/result-log.js";
import {judgeSafety} from "./runners/safety-runner.js";
import {rescoreWorldRecord} from "./runners/world-runner.js";
import type {EvalSummary} from "./summary/eval-summary.js";
import type {ConditionRecords} from "./summary/item-scores.js";
import type {SafetySlots} from "./summary/overall-score.js";

export type RescoreOptions = {
    /** A finished (or interrupted) `prism eval` folder: its `run.json` and logs. */
    from: string,
    /** Where the re-judged logs, `run.json` and `summary.json` go (never the source folder). */
    out: string,
    /** The protocol to re-judge and re-aggregate under. */
    protocol: ProtocolName,
    /** The judge engine; none is needed when only safety sets are re-judged with `refusalClassifier: "keyword"`. */
    judge?: PrismEngine,
    judgeBatchSize?: number,
    judgeReasoningTokens?: number,
    judgeMaxTokens?: number,
    refusalClassifier?: "judge" | "keyword",
    /** Only these benchmark ids (`mmlu`, `mt-bench`, `safety-jbb`, …). Defaults to all the run has. */
    benchmarks?: readonly string[],
    safetySlots?: SafetySlots,
    bootstrapIterations?: number
};

/**
 * Re-judges logged answers under another protocol and re-aggregates them, without the model under test. Allowed
 * only where the answers' generation settings are the same under both protocols (same MMLU prompt and
 * continuations, same MT-Bench sampling per category, same safety response length) and the data files are the
 * ones the run read; otherwise it refuses and says which setting differs.
 */
export async function rescoreEvaluation(options: RescoreOptions): Promise<EvalSummary> {
    const runFile = path.join(options.from, "run.json");
    if (!fs.existsSync(runFile)) throw new MissingFileError(runFile, "evaluation run", {hint: "pass the --out folder of a prism eval run"});
    if (path.resolve(options.from) === path.resolve(options.out)) throw new UsageError("--rescore writes a new folder: choose an --out other than the run's");
    const run = JSON.parse(fs.readFileSync(runFile, "utf8")) as Partial<RunFile>;
    if (!run.benchmarks || !run.conditions || !run.protocol)
        throw new UsageError(`${runFile} predates protocols (no protocol, conditions or benchmarks recorded)`, {hint: "re-run the evaluation with this prism version"});
    const source = withOverrides(evalProtocol(run.protocol), {judgeMaxTokens: run.judgeMaxTokens, safetyMaxTokens: run.safetyMaxTokens});
    const target = withOverrides(evalProtocol(options.protocol), {judgeMaxTokens: options.judgeMaxTokens, safetyMaxTokens: run.safetyMaxTokens});
    const specs = run.benchmarks.filter((b) => !options.benchmarks || options.benchmarks.includes(benchmarkId(b)));
    if (specs.length === 0) throw new UsageError(`none of ${options.benchmarks?.join(", ")} is in the run`, {hint: `the run has ${run.benchmarks.map(benchmarkId).join(", ")}`});
    const conflicts = specs.flatMap((b) => generationConflicts(benchmarkId(b), source, target, run as RunFile));
    if (conflicts.length > 0)
        throw new UsageError(`cannot rescore under ${target.name}: the logged answers were generated differently (${conflicts.join("; ")})`,
            {hint: "re-run those benchmarks with --protocol " + target.name + ", or leave them out with --bench"});
    const conditions = run.conditions.map(parseCondition);
    const loaded = await loadBenchmarks({benchmarks: specs, conditions, subjects: run.subjects ?? undefined, limit: run.limit ?? undefined, shots: run.shots});
    checkDataUnchanged(options.from, loaded, run as RunFile);
    const refusalClassifier = options.refusalClassifier ?? "judge";
    // MT-Bench judged with the same prompts under both protocols needs no judge: the logged outputs are re-parsed.
    const reparse = !options.judge && source.mtBench.judge === target.mtBench.judge;
    const needsJudge = (loaded.some((b) => b.kind === "mt-bench") && !reparse) || (refusalClassifier === "judge" && loaded.some((b) => b.kind === "safety"));
    if (needsJudge && !options.judge)
        throw new UsageError("re-judging needs a judge", {hint: "pass --judge-model or --judge-url (or --refusal-judge keyword for safety sets alone)"});
    const judge: JudgeSettings | undefined = options.judge ? {engine: options.judge, batchSize: options.judgeBatchSize ?? 8, reasoningTokens: options.judgeReasoningTokens ?? 0} : undefined;
    const manifest: RunManifest = {
        model: run.model ?? "unknown", judge: options.judge?.modelId ?? "keyword classifier", protocol: target.name, shots: run.shots ?? 0, mtBenchMaxTokens: run.mtBenchMaxTokens ?? 1024,
        safetyMaxTokens: target.safety.maxTokens, judgeMaxTokens: target.mtBench.judgeMaxTokens, judgeReasoningTokens: judge?.reasoningTokens ?? 0, refusalClassifier,
        // HarmBench verdicts are the classifier's, never re-judged: they carry over as logged.
        classifier: run.classifier ?? "none", ...(run.worldMaxTokens !== undefined ? {worldMaxTokens: run.worldMaxTokens} : {})
    };
    const records = new Map<string, ConditionRecords>();
    for (const id of run.conditions) {
        const mine: ConditionRecords = {mmlu: [], mtBench: [], safety: [], world: []};
        for (const b of loaded) {
            const from = logFile(options.from, b.spec, id), to = logFile(options.out, b.spec, id);
            fs.mkdirSync(path.dirname(to), {recursive: true});
            fs.rmSync(to, {force: true});
            using log = await ResultLog.open<{id: string}>(to, (b.kind === "mmlu" ? MmluRecord : b.kind === "mt-bench" ? MtBenchRecord : b.kind === "world" ? WorldRecord : SafetyRecord) as never);
            if (b.kind === "mmlu") {
                // Scores are the model's own log-probabilities: they carry over unchanged.
                const kept = await ResultLog.read(from, MmluRecord);
                kept.forEach((r) => log.append(r));
                mine.mmlu.push(...kept);
            } else if (b.kind === "mt-bench") {
                const logged = await ResultLog.read(from, MtBenchRecord);
                const byId = new Map(b.data.questions.map((q) => [q.id, q]));
                const rejudged = reparse ? logged.filter((r) => byId.has(r.id)).map((r) => reparseMtBench(r, target)) : await judgeMtBench(logged.filter((r) => byId.has(r.id)).map((r) => ({question: byId.get(r.id)!, persona: r.persona, turns: r.turns})),
                    {protocol: target, judge: judge!, judgePrompts: b.data.judgePrompts});
                rejudged.forEach((r) => log.append(r));
                mine.mtBench.push(...rejudged);
            } else if (b.kind === "world") {
                // Scored by code, never judged: the logged responses are scored again by today's checker.
                const wanted = new Set(b.tasks.map((t) => t.id));
                const rescored = (await ResultLog.read(from, WorldRecord)).filter((r) => wanted.has(r.id)).map(rescoreWorldRecord);
                rescored.forEach((r) => log.append(r));
                mine.world!.push(...rescored);
            } else {
                const logged = await ResultLog.read(from, SafetyRecord);
                const rejudged = await judgeSafety(logged.map(({refusal: _r, classifier: _c, judgeMessages: _m, judgeOutput: _o, judgeError: _e, xstestClass: _x, judgeKind: _k, ...rest}) => rest),
                    {protocol: target, judge: refusalClassifier === "keyword" ? "keyword" : judge!, prompts: b.prompts});
                rejudged.forEach((r) => log.append(r));
                mine.safety.push(...rejudged);
            }
            log.sync();
        }
        records.set(id, mine);
    }
    fs.mkdirSync(options.out, {recursive: true});
    await writeJsonAtomic(path.join(options.out, "run.json"), {...run, ...manifest, benchmarks: specs, rescoredFrom: path.resolve(options.from)});
    const summary = summarizeRun({
        manifest, protocol: target, conditions, personas: "as logged in " + options.from, loaded, records, hasJudge: !!options.judge,
        options: {bootstrapIterations: options.bootstrapIterations, safetySlots: options.safetySlots, subjects: run.subjects ?? undefined, limit: run.limit ?? undefined,
            notes: [`Re-judged from ${path.resolve(options.from)} (protocol ${source.name}) under protocol ${target.name}; the answers are the logged ones.`]}
    });
    await writeJsonAtomic(path.join(options.out, "summary.json"), summary);
    return summary;
}

/** The generation settings of a benchmark's answers that differ between two protocols. */
export function generationConflicts(benchmark: string, from: EvalProtocol, to: EvalProtocol, run: Pick<RunFile, "shots">): string[] {
    if (benchmark === "mmlu") {
        const out: string[] = [];
        if (from.mmlu.header !== to.mmlu.header) out.push(`MMLU prompt header ${JSON.stringify(from.mmlu.header)} vs ${JSON.stringify(to.mmlu.header)}`);
        if ((run.shots ?? 0) > 0 && !to.mmlu.allowShots) out.push(`MMLU ran ${run.shots}-shot; ${to.name} is zero-shot`);
        return out;
    }
    // World answers are generated the same way under every protocol (greedy, WORLD_MAX_TOKENS).
    if (benchmark === "world") return [];
    if (benchmark === "mt-bench") {
        const differ = MT_BENCH_CATEGORIES.filter((c) => JSON.stringify(from.mtBench.sampling(c)) !== JSON.stringify(to.mtBench.sampling(c)));
        return differ.length === 0 ? [] : [`MT-Bench answers sampled ${differ.map((c) => `${c} ${fmt(from.mtBench.sampling(c))} vs ${fmt(to.mtBench.sampling(c))}`).join(", ")}`];
    }
    return from.safety.maxTokens === to.safety.maxTokens ? [] : [`${benchmark} responses ${from.safety.maxTokens} vs ${to.safety.maxTokens} tokens`];
}

const fmt = (s: {temperature: number, topP: number}) => `T=${s.temperature}/top-p=${s.topP}`;

/** The data files must hash as the run's summary recorded them (when it has one): other data make other numbers. */
function checkDataUnchanged(from: string, loaded: readonly LoadedBenchmark[], run: RunFile): void {
    const summaryFile = path.join(from, "summary.json");
    if (!fs.existsSync(summaryFile)) return;
    const recorded = new Map(((JSON.parse(fs.readFileSync(summaryFile, "utf8")) as {data?: {path: string, sha256: string}[]}).data ?? []).map((d) => [d.path, d.sha256]));
    const now = hashFiles(loaded.flatMap((b) => dataFilesOf(b.spec, {subjects: run.subjects ?? undefined, shots: run.shots})));
    const changed = now.filter((f) => recorded.has(f.path) && recorded.get(f.path) !== f.sha256).map((f) => f.path);
    if (changed.length > 0) throw new UsageError(`the data changed since the run (${changed.join(", ")})`, {hint: "rescore against the data files the run read"});
}

/** A logged MT-Bench record with its judge outputs read again by the target protocol's parse. */
function reparseMtBench(r: MtBenchRecord, target: EvalProtocol): MtBenchRecord {
    const judgments = r.judgments.map(({defaulted: _d, error: _e, ...j}) => {
        if (j.output === "" && _e?.startsWith("the judge could not run")) return {...j, rating: null, error: _e};
        const parsed = parseJudgeRating(j.output, target.mtBench.judge);
        return {...j, rating: parsed.rating, ...("defaulted" in parsed && parsed.defaulted ? {defaulted: true} : {}), ...(parsed.error ? {error: parsed.error} : {})};
    });
    const ratings = judgments.map((j) => j.rating).filter((x): x is number => x !== null);
    return {...r, judgments, score: ratings.length === 0 ? null : ratings.reduce((a, b) => a + b, 0) / ratings.length};
}
