import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {BenchmarkSpec} from "../benchmark-spec.js";
import {mmluFiles} from "./mmlu-dataset.js";

/** The files a benchmark reads (those that exist), so a summary can record their hashes. */
export function dataFilesOf(spec: BenchmarkSpec, options: {subjects?: readonly string[], shots?: number} = {}): string[] {
    const existing = (files: string[]) => files.filter((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    if (spec.kind === "mmlu") {
        const pick = (split: "test" | "dev") => {
            const files = mmluFiles(spec.dir, split);
            return [...files].filter(([s]) => !options.subjects || options.subjects.includes(s)).map(([, f]) => f);
        };
        return [...pick("test"), ...((options.shots ?? 0) > 0 ? pick("dev") : [])];
    }
    // The world's tasks are generated from code, not read.
    if (spec.kind === "world") return [];
    if (spec.kind === "mt-bench") return existing(["question.jsonl", "judge_prompts.jsonl", path.join("reference_answer", "gpt-4.jsonl")].map((f) => path.join(spec.dir, f)));
    const builtin: Record<string, string[]> = {
        jbb: ["jailbreakbench/harmful-behaviors.csv", "jailbreakbench/benign-behaviors.csv"], harmbench: ["harmbench/harmbench_behaviors_text_all.csv"],
        advbench: ["advbench/harmful_behaviors.csv"], xstest: ["xstest/xstest_prompts.csv"]
    };
    const files = builtin[spec.set] && fs.existsSync(spec.source) && fs.statSync(spec.source).isDirectory() ? builtin[spec.set]!.map((f) => path.join(spec.source, f)) : [spec.source];
    return existing(files);
}

/** SHA-256 of each file, hex. */
export function hashFiles(files: readonly string[]): {path: string, sha256: string}[] {
    return files.map((f) => ({path: path.resolve(f), sha256: crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex")}));
}
