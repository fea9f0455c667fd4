import fs from "node:fs";
import path from "node:path";
import {UsageError} from "../util/prism-error.js";
import {BUILTIN_SAFETY_SETS} from "./data/safety-dataset.js";

/** One benchmark to run, with where its files are. */
export type BenchmarkSpec =
    | {kind: "mmlu", dir: string}
    | {kind: "mt-bench", dir: string}
    | {kind: "safety", set: string, source: string}
    /** The planted world's held-out tasks (generateWorldTasks with `split: "heldout"`), scored by code. */
    | {kind: "world", seed: number, perDomain: number};

/** `--bench world`: the held-out draw (seed 1, 50 tasks per domain, 600 in all; `--limit` takes fewer, every domain in turn). */
export const WORLD_BENCH: BenchmarkSpec & {kind: "world"} = {kind: "world", seed: 1, perDomain: 50};

/** The folder name each benchmark's logs go in. */
export function benchmarkId(b: BenchmarkSpec): string {
    return b.kind === "safety" ? `safety-${b.set}` : b.kind;
}

/**
 * Parses `--bench` entries: `mmlu`, `mt-bench`, `jbb`, `harmbench`, `advbench`, `xstest` read the datasets folder
 * (`mmlu/`, `mt_bench/`, …); `NAME=PATH` reads the same format from a path of your own (`mmlu=DIR`, `mt-bench=DIR`,
 * or a safety set `NAME=FILE.csv|.jsonl`); `world` draws the planted world's held-out tasks (no files).
 */
export function parseBenchmarks(entries: readonly string[], dataDir: string | undefined): BenchmarkSpec[] {
    return entries.map((entry) => {
        const [name, userPath] = entry.includes("=") ? [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)] : [entry, undefined];
        const needData = (sub: string) => {
            if (userPath) return userPath;
            if (!dataDir) throw new UsageError(`benchmark ${name} needs its data`, {hint: "pass --data DIR (the datasets folder), or NAME=PATH"});
            return sub ? path.join(dataDir, sub) : dataDir;
        };
        if (name === "world" && !userPath) return {...WORLD_BENCH};
        if (name === "mmlu") return {kind: "mmlu", dir: needData("mmlu")};
        if (name === "mt-bench") return {kind: "mt-bench", dir: needData("mt_bench")};
        if ((BUILTIN_SAFETY_SETS as readonly string[]).includes(name) && !userPath) return {kind: "safety", set: name, source: needData("")};
        if (userPath && /^[a-z0-9][a-z0-9_.-]*$/i.test(name)) return {kind: "safety", set: name, source: userPath};
        throw new UsageError(`unknown benchmark "${entry}"`, {hint: `use mmlu, mt-bench, ${BUILTIN_SAFETY_SETS.join(", ")}, world, or NAME=PATH for a safety set of your own`});
    });
}

/**
 * The shared datasets folder when present: `../shared/datasets` from the working directory, or beside the
 * package's own folder (where the project's checkouts keep it).
 */
export function defaultDataDir(): string | undefined {
    const candidates = [path.resolve("../shared/datasets"), path.resolve(import.meta.dirname, "../../../shared/datasets")];
    return candidates.find((c) => fs.existsSync(path.join(c, "SOURCES.md")) || fs.existsSync(path.join(c, "mmlu")));
}
