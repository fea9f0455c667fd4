import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import {z} from "zod";
import {writeJsonAtomic} from "../util/atomic-write.js";
import {InvalidInputError, MissingFileError} from "../util/prism-error.js";

/**
 * A bootstrap run directory's manifest (`run.json`) and file layout. It lives in src/run, below the pipeline that
 * writes it, because serve, eval and the CLI open finished runs too (`openRun`) and must not import the pipeline.
 */
export const RUN_MANIFEST_FORMAT = "prism-run";
export const RUN_MANIFEST_VERSION = 1;

/** The pipeline's stages, in the order they run. */
export const STAGE_NAMES = ["personas", "queries", "answers", "judge", "datasets", "distill", "gate", "summary"] as const;
export const StageName = z.enum(STAGE_NAMES);
export type StageName = z.infer<typeof StageName>;

/** Every file of a run, relative to its directory. */
export const runFiles = {
    manifest: "run.json",
    personas: "personas.jsonl",
    queryAttempts: "query-attempts.jsonl",
    queries: "queries.jsonl",
    answers: "answers.jsonl",
    verdicts: "verdicts.jsonl",
    distill: "distill.jsonl",
    retain: "retain.jsonl",
    /** The adapter in llama.cpp's GGUF LoRA format. */
    adapter: "adapter.gguf",
    /** The same adapter as a PEFT directory (adapter_config.json + adapter_model.safetensors). */
    peftDir: "peft",
    /** The trainer's checkpoint folder (resumes an interrupted training). */
    trainCheckpointDir: "train",
    /** The training loss of every step (JSONL), kept across interruptions. */
    trainLosses: "train/losses.jsonl",
    gate: "gate.json",
    gateScores: "gate-scores.jsonl",
    summary: "summary.json",
    summaryText: "summary.txt",
    /** Files of invalidated stages are moved here, under the time they were set aside. */
    superseded: "superseded"
} as const;

export const StageState = z.object({
    status: z.enum(["running", "done"]),
    /** Hash of the stage's own settings and of the stages before it: a change means the stage must run again. */
    configHash: z.string(),
    /** The settings the hash covers, so a change can be explained. */
    config: z.record(z.string(), z.unknown()),
    /** Record counts (items, kept, dropped, wins…). */
    counts: z.record(z.string(), z.number()),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    /** Stage-specific results (the training loss curve, the gate's metrics…). */
    details: z.record(z.string(), z.unknown()).optional()
});
export type StageState = z.infer<typeof StageState>;

export const RunManifest = z.object({
    format: z.literal(RUN_MANIFEST_FORMAT),
    version: z.literal(RUN_MANIFEST_VERSION),
    prismVersion: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    model: z.object({
        /** Absolute path of the GGUF model. */
        path: z.string(),
        fingerprint: z.string()
    }),
    seed: z.number().int(),
    /** The whole resolved bootstrap config of the latest invocation. */
    config: z.record(z.string(), z.unknown()),
    stages: z.partialRecord(StageName, StageState)
});
export type RunManifest = z.infer<typeof RunManifest>;

/** A run directory whose manifest is missing, damaged, or from another prism version. */
export class RunManifestError extends InvalidInputError {
    readonly path: string;
    constructor(filePath: string, reason: string, hint = "point at a directory made by prism bootstrap, or run bootstrap again into a fresh --out") {
        super("E_RUN_MANIFEST", `${filePath}: ${reason}`, {hint, details: {path: filePath, reason}});
        this.path = filePath;
    }
}

export function manifestPath(dir: string): string {
    return path.join(dir, runFiles.manifest);
}

/** Reads and validates `DIR/run.json`; `undefined` when the directory has none (a fresh run). */
export async function readRunManifest(dir: string): Promise<RunManifest | undefined> {
    const file = manifestPath(dir);
    if (!fs.existsSync(file)) return undefined;
    let value: unknown;
    try {
        value = JSON.parse(await fsp.readFile(file, "utf8"));
    } catch (err) {
        throw new RunManifestError(file, `not valid JSON (${(err as Error).message})`);
    }
    const head = z.object({format: z.string(), version: z.number()}).safeParse(value);
    if (!head.success || head.data.format !== RUN_MANIFEST_FORMAT) throw new RunManifestError(file, `not a prism run manifest (expected "format": "${RUN_MANIFEST_FORMAT}")`);
    if (head.data.version !== RUN_MANIFEST_VERSION) {
        throw new RunManifestError(file, `run manifest version ${head.data.version}; this prism reads version ${RUN_MANIFEST_VERSION}`,
            head.data.version > RUN_MANIFEST_VERSION ? "it was written by a newer prism: upgrade prism" : "start a fresh run in a new --out");
    }
    const parsed = RunManifest.safeParse(value);
    if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new RunManifestError(file, `invalid manifest at "${issue.path.join(".") || "(root)"}": ${issue.message}`);
    }
    return parsed.data;
}

/** Like `readRunManifest`, for a run that must exist. */
export async function requireRunManifest(dir: string): Promise<RunManifest> {
    if (!fs.existsSync(dir)) throw new MissingFileError(dir, "run directory", {hint: "pass the --out directory of a prism bootstrap run"});
    const manifest = await readRunManifest(dir);
    if (!manifest) throw new MissingFileError(manifestPath(dir), "run manifest", {hint: "this directory holds no bootstrap run: run prism bootstrap --out DIR first"});
    return manifest;
}

export async function writeRunManifest(dir: string, manifest: RunManifest): Promise<void> {
    await writeJsonAtomic(manifestPath(dir), manifest);
}
