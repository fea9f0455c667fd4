import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {PrismEngine} from "../engine/engine.js";
import {LlamaEngine} from "../engine/llama-engine.js";
import type {GgmlDeviceChoice} from "../ggml/ggml-backend.js";
import {STAGE_NAMES, type RunManifest, type StageName} from "../run/run-manifest.js";
import {loraLayers} from "../lora/lora-config.js";
import {GgufFile} from "../model/gguf-file.js";
import {readModelHparams} from "../model/model-hparams.js";
import {assertMemoryFits} from "../train/memory-check.js";
import {InterruptedError, MissingFileError, PrismError, UsageError} from "../util/prism-error.js";
import {answersStage} from "./answers-stage.js";
import {checkBootstrapMemory} from "./bootstrap-memory.js";
import {resolveBootstrapConfig, type BootstrapConfigInput} from "./bootstrap-config.js";
import {datasetsStage} from "./datasets-stage.js";
import {distillStage, distillTrainConfig} from "./distill-stage.js";
import {gateStage} from "./gate-stage.js";
import {judgeStage} from "./judge-stage.js";
import {personasStage} from "./personas-stage.js";
import {queriesStage} from "./queries-stage.js";
import {RunDirectory} from "./run-directory.js";
import {readRunSummary, type RunSummary} from "./run-summary.js";
import type {Stage, StageContext} from "./stage-context.js";
import {describeSettingChanges, stageHash, stageSettings} from "./stage-settings.js";
import {summaryStage} from "./summary-stage.js";

export type BootstrapOptions = BootstrapConfigInput & {
    /** The GGUF model. It answers (unless `engine` is given), is trained on, and gives the gate its features. */
    model: string,
    /** The run directory: created if new; a run already there resumes. */
    out: string,
    /** An engine for the generating stages instead of loading `model` on llama.cpp (e.g. an `OpenAIEngine` serving the same model). Not disposed. */
    engine?: PrismEngine,
    /** CPU threads (llama.cpp, the trainer, the gate's features). Defaults to `"auto"`. */
    threads?: "auto" | number,
    /** Tokens per sequence for the llama engine. Defaults to `min(4096, the model's training context)`. */
    contextSize?: number,
    /**
     * Requests generated together (the llama engine's parallel sequences). With 1 a run is reproducible bit for bit,
     * and a resumed run ends with exactly the records of an uninterrupted one; with more, llama.cpp's batched decoding
     * rounds differently with what shares the batch and when, so sampled text can differ between runs. `"auto"`: 8
     * when llama.cpp offloads the model to a GPU, else 1. Defaults to `"auto"`.
     */
    parallel?: number | "auto",
    /** Offload generation to a GPU when there is one. Defaults to `"auto"`. */
    gpu?: "auto" | false,
    /** The trainer's and the gate's ggml device: `"auto"` a GPU backend when one loads, else the CPU. Defaults to `"auto"`. */
    device?: GgmlDeviceChoice,
    /**
     * The pre-flight check: before the first stage, the memory each stage needs (prism plan's estimate) against the
     * machine's; a run that does not fit is refused (ResourceError E_MEMORY, naming options that would). `false`
     * skips it; `limitBytes` counts at most that much RAM as available. Defaults to `{}` (checked).
     */
    memoryCheck?: false | {limitBytes?: number},
    /** Run only these stages (earlier ones must be done). Defaults to all. */
    stages?: readonly StageName[],
    /** Stops after the item in flight; what finished is saved, and the same call resumes. */
    signal?: AbortSignal,
    onEvent?(event: BootstrapEvent): void
};

export type BootstrapEvent =
    | {type: "stage-start", stage: StageName, resumed: boolean}
    | {type: "stage-progress", stage: StageName, done: number, total: number, info?: Record<string, string | number>}
    | {type: "stage-done", stage: StageName, counts: Record<string, number>, elapsedMs: number}
    | {type: "stage-skipped", stage: StageName, reason: "done" | "not selected"}
    | {type: "invalidated", stage: StageName, stages: StageName[], changes: string[], movedTo?: string}
    | {type: "log", stage?: StageName, message: string};

export type BootstrapResult = {
    dir: string,
    manifest: RunManifest,
    /** Stages that did work in this call. */
    ran: StageName[],
    /** Stages invalidated by a settings change in this call. */
    invalidated: StageName[],
    /** The summary, once the summary stage is done. */
    summary?: RunSummary
};

const stages: Record<StageName, Stage> = {
    personas: personasStage, queries: queriesStage, answers: answersStage, judge: judgeStage,
    datasets: datasetsStage, distill: distillStage, gate: gateStage, summary: summaryStage
};
/** Stages that generate with the engine; the engine is loaded only when one of them has work. */
const generating = new Set<StageName>(["personas", "queries", "answers", "judge"]);

/**
 * PRISM end to end on one model, from domain names only: personas → queries → paired answers → self-verification →
 * data sets → distilled adapter → gate → summary. Each stage writes its records into the run directory as items
 * finish and notes its settings' hash in the manifest, so: a finished run re-run does nothing; an interrupted one
 * (Ctrl-C, or kill -9) resumes without losing or redoing finished items; a changed setting re-runs the stage it
 * belongs to and every later one (their old files are moved to `superseded/`), and says what changed.
 */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapResult> {
    const {model, out, engine: givenEngine, threads = "auto", contextSize, parallel = "auto", gpu = "auto", device = "auto", signal, onEvent = () => undefined} = options;
    const config = resolveBootstrapConfig(pickConfig(options));
    const trainConfig = distillTrainConfig(config); // the training settings fail now, not after hours of generation
    const selected = new Set(options.stages ?? STAGE_NAMES);
    for (const s of selected) if (!STAGE_NAMES.includes(s)) throw new UsageError(`unknown stage "${s}" (stages: ${STAGE_NAMES.join(", ")})`);
    if (!fs.existsSync(model)) throw new MissingFileError(model, "model");
    const gguf = await GgufFile.open(model);
    loraLayers(trainConfig, readModelHparams(gguf).nLayer); // so do blocks the model lacks (--layers 40 on a 32-block model)
    if (options.memoryCheck !== false) {
        // Before anything is written: a run that cannot train here should not generate for hours first.
        const check = await checkBootstrapMemory(model, config, {contextSize, parallel, gpu, device, localGeneration: !givenEngine, limitBytes: options.memoryCheck?.limitBytes});
        const planStages: Record<string, StageName[]> = {generate: [...generating], teacher: ["distill"], train: ["distill"], gate: ["gate"]};
        const shortfalls = check.shortfalls.filter((s) => planStages[s.stage]!.some((n) => selected.has(n)));
        assertMemoryFits({...check, fits: shortfalls.length === 0, shortfalls});
    }
    const fingerprint = gguf.fingerprint;
    const personasFileHash = config.personasFile ? hashFile(config.personasFile) : undefined;
    // A given llama engine on the run's own model generates as the built-in one does; anything else is recorded.
    const generator = givenEngine && !(givenEngine instanceof LlamaEngine && path.resolve(givenEngine.modelPath) === path.resolve(model))
        ? {engine: givenEngine.engineId, model: givenEngine.modelId} : undefined;
    const run = await RunDirectory.open({dir: out, modelPath: model, modelFingerprint: fingerprint, seed: config.seed, config});

    let loaded: LlamaEngine | undefined;
    let engine: Promise<PrismEngine> | undefined;
    const getEngine = (): Promise<PrismEngine> => {
        engine ??= givenEngine ? Promise.resolve(givenEngine)
            : LlamaEngine.load({model, threads, contextSize, parallel, gpu, signal}).then((e) => (loaded = e));
        return engine;
    };
    const releaseEngine = async () => {
        // The trainer and the gate's features load the model themselves: free llama.cpp's copy first.
        if (loaded) await loaded.dispose();
        loaded = undefined;
        engine = undefined;
    };

    // A server batches what it has in flight itself: keep eight requests going unless told otherwise.
    // With "auto", the built-in engine's batch is known once it has loaded (on a GPU or not).
    const givenParallel = typeof options.parallel === "number" ? options.parallel : 8;
    let chunkSize: number | undefined = givenEngine instanceof LlamaEngine ? givenEngine.parallel : givenEngine ? givenParallel : parallel === "auto" ? undefined : parallel;
    const ran: StageName[] = [], invalidated: StageName[] = [];
    let previousHash = fingerprint;
    try {
        const lastSelected = Math.max(...[...selected].map((s) => STAGE_NAMES.indexOf(s)));
        for (const [index, name] of STAGE_NAMES.entries()) {
            const settings = stageSettings(name, config, {personasFileHash, generator});
            const hash = stageHash(name, settings, previousHash);
            previousHash = hash;
            const state = run.stage(name);
            if (state && state.configHash !== hash) {
                const own = describeSettingChanges(state.config, settings);
                const changes = own.length > 0 ? own : ["an earlier stage's settings or the model changed"];
                const {stages: dropped, movedTo} = await run.invalidateFrom(name);
                invalidated.push(...dropped);
                onEvent({type: "invalidated", stage: name, stages: dropped, changes, ...(movedTo ? {movedTo} : {})});
            }
            if (index > lastSelected) continue;
            const current = run.stage(name);
            if (!selected.has(name)) {
                if (current?.status !== "done") {
                    throw new UsageError(`stage ${name} has not finished, and a later stage was asked for (--stages ${[...selected].join(",")})`, {
                        hint: `add ${name} to --stages, or leave --stages out to run every stage that is not done`
                    });
                }
                onEvent({type: "stage-skipped", stage: name, reason: "not selected"});
                continue;
            }
            if (current?.status === "done") {
                onEvent({type: "stage-skipped", stage: name, reason: "done"});
                continue;
            }
            if (!generating.has(name)) await releaseEngine();
            onEvent({type: "stage-start", stage: name, resumed: current?.status === "running"});
            await run.startStage(name, hash, settings);
            const started = performance.now();
            if (chunkSize === undefined && generating.has(name)) chunkSize = ((await getEngine()) as LlamaEngine).parallel;
            const context: StageContext = {
                name, run, config, modelPath: model, modelFingerprint: fingerprint, chunkSize: chunkSize ?? 1, threads, device, signal,
                engine: getEngine,
                supportsSystemRole: async () => {
                    const e = await getEngine();
                    // A server applies its own template; assume it has a system role.
                    return e instanceof LlamaEngine ? e.chatTokenizer.supportsSystemRole : true;
                },
                progress: (done, total, info) => onEvent({type: "stage-progress", stage: name, done, total, ...(info ? {info} : {})}),
                log: (message) => onEvent({type: "log", stage: name, message})
            };
            let result;
            try {
                result = await stages[name](context);
            } catch (err) {
                // Work cut short by the signal fails in its own ways (an aborted forward pass, a cancelled load): all mean "stopped".
                if (signal?.aborted && !PrismError.isInstance(err)) {
                    throw new InterruptedError(`bootstrap interrupted during ${name}; every finished item is saved`, {cause: err, hint: "run the same command again to resume where it stopped"});
                }
                throw err;
            }
            await run.finishStage(name, result.counts, result.details);
            ran.push(name);
            onEvent({type: "stage-done", stage: name, counts: result.counts, elapsedMs: performance.now() - started});
        }
    } finally {
        await releaseEngine();
    }
    const summary = run.stage("summary")?.status === "done" ? await readRunSummary(run.dir) : undefined;
    return {dir: run.dir, manifest: run.manifest, ran, invalidated, ...(summary ? {summary} : {})};
}

/** The config fields of the options (everything but the run's plumbing). */
function pickConfig(options: BootstrapOptions): BootstrapConfigInput {
    const {model: _m, out: _o, engine: _e, threads: _t, contextSize: _c, parallel: _p, gpu: _g, device: _d, memoryCheck: _mc, stages: _s, signal: _sig, onEvent: _ev, ...config} = options;
    return config;
}

function hashFile(file: string): string {
    if (!fs.existsSync(file)) throw new MissingFileError(file, "personas file");
    return "sha256:" + crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex").slice(0, 32);
}
