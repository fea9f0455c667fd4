import fs from "node:fs";
import path from "node:path";
import type {z} from "zod";
import {
    RUN_MANIFEST_FORMAT, RUN_MANIFEST_VERSION, readRunManifest, runFiles, STAGE_NAMES, writeRunManifest,
    type RunManifest, type StageName, type StageState
} from "../run/run-manifest.js";
import {writeFileAtomicSync} from "../util/atomic-write.js";
import {iterateJsonl, JsonlAppender} from "../util/jsonl.js";
import {readPackageVersion} from "../util/package-version.js";
import {UsageError} from "../util/prism-error.js";

export type RunFile = keyof typeof runFiles;

/** The files each stage writes: set aside together when the stage is invalidated. */
export const stageFiles: Record<StageName, readonly RunFile[]> = {
    personas: ["personas"],
    queries: ["queryAttempts", "queries"],
    answers: ["answers"],
    judge: ["verdicts"],
    datasets: ["distill", "retain"],
    distill: ["adapter", "peftDir", "trainCheckpointDir"],
    gate: ["gate", "gateScores"],
    summary: ["summary", "summaryText"]
};

export type OpenRunDirectoryOptions = {
    dir: string,
    modelPath: string,
    modelFingerprint: string,
    seed: number,
    config: Record<string, unknown>
};

/**
 * A bootstrap run's directory: the manifest (`run.json`, rewritten atomically at every stage boundary) and each
 * stage's JSONL records, appended as items finish. Refuses to continue a run made with another model.
 */
export class RunDirectory {
    private constructor(readonly dir: string, private manifestValue: RunManifest) {}

    static async open(options: OpenRunDirectoryOptions): Promise<RunDirectory> {
        const dir = path.resolve(options.dir);
        if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${options.dir} is a file, not a directory`);
        fs.mkdirSync(dir, {recursive: true});
        const now = new Date().toISOString();
        const existing = await readRunManifest(dir);
        if (existing && existing.model.fingerprint !== options.modelFingerprint) {
            throw new UsageError(`${dir} holds a run made with another model (${existing.model.path}, fingerprint ${existing.model.fingerprint}); --model ${options.modelPath} is ${options.modelFingerprint}`, {
                hint: "resume with the run's model, or bootstrap this model into a new --out"
            });
        }
        if (!existing && fs.readdirSync(dir).length > 0) {
            throw new UsageError(`--out ${options.dir} is not empty and holds no bootstrap run (no run.json)`, {hint: "choose a new or empty directory"});
        }
        const manifest: RunManifest = existing
            ? {...existing, prismVersion: readPackageVersion(), model: {path: path.resolve(options.modelPath), fingerprint: options.modelFingerprint}, seed: options.seed, config: options.config, updatedAt: now}
            : {
                format: RUN_MANIFEST_FORMAT, version: RUN_MANIFEST_VERSION, prismVersion: readPackageVersion(), createdAt: now, updatedAt: now,
                model: {path: path.resolve(options.modelPath), fingerprint: options.modelFingerprint}, seed: options.seed, config: options.config, stages: {}
            };
        const run = new RunDirectory(dir, manifest);
        await run.save();
        return run;
    }

    get manifest(): RunManifest {
        return this.manifestValue;
    }

    path(file: RunFile): string {
        return path.join(this.dir, runFiles[file]);
    }

    stage(name: StageName): StageState | undefined {
        return this.manifestValue.stages[name];
    }

    async startStage(name: StageName, configHash: string, config: Record<string, unknown>): Promise<void> {
        const previous = this.stage(name);
        const resuming = previous?.status === "running" && previous.configHash === configHash;
        this.manifestValue.stages[name] = {
            status: "running", configHash, config, counts: resuming ? previous.counts : {}, startedAt: resuming ? previous.startedAt : new Date().toISOString()
        };
        await this.save();
    }

    async finishStage(name: StageName, counts: Record<string, number>, details?: Record<string, unknown>): Promise<void> {
        const state = this.stage(name);
        if (!state) throw new Error(`internal: stage ${name} finished without starting`);
        this.manifestValue.stages[name] = {...state, status: "done", counts, finishedAt: new Date().toISOString(), ...(details ? {details} : {})};
        await this.save();
    }

    /**
     * Drops `from` and every later stage from the manifest and moves their files to `superseded/<time>/`, so
     * nothing stale is reused and nothing already generated is destroyed. Returns where they went (or undefined
     * when no stage had files).
     */
    async invalidateFrom(from: StageName): Promise<{stages: StageName[], movedTo?: string}> {
        const stages = STAGE_NAMES.slice(STAGE_NAMES.indexOf(from)).filter((s) => this.stage(s) !== undefined || stageFiles[s].some((f) => fs.existsSync(this.path(f))));
        const aside = path.join(this.dir, runFiles.superseded, new Date().toISOString().replace(/[:.]/g, "-"));
        let moved = false;
        for (const s of stages) {
            for (const f of stageFiles[s]) {
                const file = this.path(f);
                if (!fs.existsSync(file)) continue;
                const target = path.join(aside, runFiles[f]);
                fs.mkdirSync(path.dirname(target), {recursive: true});
                fs.renameSync(file, target);
                moved = true;
            }
            delete this.manifestValue.stages[s];
        }
        await this.save();
        return {stages, ...(moved ? {movedTo: aside} : {})};
    }

    /**
     * A stage's records so far; a missing file is empty. A torn last line (a kill mid-append) is cut first, as the
     * appender would cut it, so a record is never counted as done and then lost.
     */
    async readRecords<T>(file: RunFile, schema: z.ZodType<T>): Promise<T[]> {
        const filePath = this.path(file);
        if (!fs.existsSync(filePath)) return [];
        JsonlAppender.open(filePath).close();
        const out: T[] = [];
        for await (const {value} of iterateJsonl(filePath, schema)) out.push(value);
        return out;
    }

    /** Writes a derived stage file whole, atomically (records computed from earlier stages, not generated one by one). */
    replaceRecords(file: RunFile, records: readonly unknown[]): void {
        writeFileAtomicSync(this.path(file), records.map((r) => JSON.stringify(r) + "\n").join(""));
    }

    /** An append-only writer for a stage's records (cuts a torn last line on open). */
    appender(file: RunFile): JsonlAppender {
        return JsonlAppender.open(this.path(file));
    }

    private async save(): Promise<void> {
        this.manifestValue.updatedAt = new Date().toISOString();
        await writeRunManifest(this.dir, this.manifestValue);
    }
}
