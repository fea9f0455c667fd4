import fs from "node:fs";
import path from "node:path";
import {z} from "zod";
import {readJsonl} from "../../util/jsonl.js";
import {DataFormatError, MissingFileError, UsageError} from "../../util/prism-error.js";
import {type CsvTable, readCsvTable} from "./csv-records.js";
import {groupBy, roundRobin} from "./round-robin.js";

/** A prompt the model should refuse (`harmful`) or answer (benign: refusing it is over-refusal). */
export type SafetyPrompt = {
    /** `<set>/<harmful|benign>/<0-based row>`. */
    id: string,
    set: string,
    prompt: string,
    harmful: boolean,
    /** The set's own category (JBB category, HarmBench semantic category, XSTest type), when it has one. */
    category?: string,
    /** HarmBench: the behavior and its context apart, as its classifier prompt wants them. */
    harmbench?: {behavior: string, context?: string}
};

/** The safety sets in `../shared/datasets`, by the name `--bench` uses. */
export const BUILTIN_SAFETY_SETS = ["jbb", "harmbench", "advbench", "xstest"] as const;
export type BuiltinSafetySet = typeof BUILTIN_SAFETY_SETS[number];

export type LoadSafetyOptions = {
    /** The datasets folder (for built-in sets) or the file (for a user set). */
    source: string,
    /** A built-in set name, or any other name for a user-supplied file. */
    set: string,
    /** At most this many prompts, taken round-robin across harmful/benign and the set's categories. Defaults to all. */
    limit?: number
};

/**
 * Loads one safety set. Built-in sets read their upstream files:
 * - `jbb`: JailbreakBench `harmful-behaviors.csv` and `benign-behaviors.csv` (the `goal` column).
 * - `harmbench`: `harmbench_behaviors_text_all.csv`, standard and contextual behaviours (the context goes before the
 *   request, as HarmBench does); the copyright behaviours are left out, since HarmBench scores those by matching the
 *   protected text, not by refusal.
 * - `advbench`: `harmful_behaviors.csv` (`goal`), all harmful.
 * - `xstest`: `xstest_prompts.csv`; label `unsafe` is harmful, `safe` is benign.
 * Any other set name reads a user file through the same loader: CSV with a `prompt` (or `goal`, `behavior`,
 * `question`) column, or JSONL `{"prompt": …}`; an optional `label` (harmful/unsafe/benign/safe) or boolean `harmful`
 * marks benign rows; without one every row is harmful. A stand-in for PKU-SafeRLHF goes in this way.
 */
export async function loadSafetySet(options: LoadSafetyOptions): Promise<SafetyPrompt[]> {
    return limitSet(await readSet(options.source, options.set), options.limit);
}

function limitSet(prompts: SafetyPrompt[], limit: number | undefined): SafetyPrompt[] {
    if (limit === undefined) return prompts;
    const byLabel = groupBy(prompts, (p) => String(p.harmful));
    return roundRobin([...byLabel.values()].map((ps) => roundRobin([...groupBy(ps, (p) => p.category ?? "").values()])), limit);
}

async function readSet(source: string, set: string): Promise<SafetyPrompt[]> {
    const file = (...parts: string[]) => path.join(source, ...parts);
    switch (set) {
        case "jbb":
            return [
                ...fromCsv(file("jailbreakbench", "harmful-behaviors.csv"), set, {prompt: "goal", category: "category", harmful: true}),
                ...fromCsv(file("jailbreakbench", "benign-behaviors.csv"), set, {prompt: "goal", category: "category", harmful: false})
            ];
        case "harmbench":
            return readHarmBench(file("harmbench", "harmbench_behaviors_text_all.csv"));
        case "advbench":
            return fromCsv(file("advbench", "harmful_behaviors.csv"), set, {prompt: "goal", harmful: true});
        case "xstest":
            return fromCsv(file("xstest", "xstest_prompts.csv"), set, {prompt: "prompt", category: "type", label: "label"});
        default:
            return readUserSet(source, set);
    }
}

type Columns = {prompt: string, category?: string, harmful?: boolean, label?: string};

function fromCsv(filePath: string, set: string, columns: Columns, table?: CsvTable): SafetyPrompt[] {
    const required = [columns.prompt, ...(columns.category ? [columns.category] : []), ...(columns.label ? [columns.label] : [])];
    const counters = {harmful: 0, benign: 0};
    return (table ?? readCsvTable(filePath, required, {what: `safety set ${set}`})).rows.map((row) => {
        const prompt = row.get(columns.prompt);
        if (prompt.trim() === "") throw new DataFormatError(filePath, row.line, `empty ${columns.prompt}`);
        const harmful = columns.label ? parseLabel(row.get(columns.label), filePath, row.line) : columns.harmful ?? true;
        const category = columns.category ? row.get(columns.category) || undefined : undefined;
        return makePrompt(set, prompt, harmful, category, counters);
    });
}

function makePrompt(set: string, prompt: string, harmful: boolean, category: string | undefined, counters: {harmful: number, benign: number}): SafetyPrompt {
    const label = harmful ? "harmful" : "benign";
    return {id: `${set}/${label}/${counters[label]++}`, set, prompt, harmful, ...(category ? {category} : {})};
}

function readHarmBench(filePath: string): SafetyPrompt[] {
    const counters = {harmful: 0, benign: 0};
    return readCsvTable(filePath, ["Behavior", "FunctionalCategory", "SemanticCategory", "ContextString"], {what: "HarmBench behaviours"}).rows
        .filter((row) => row.get("FunctionalCategory") !== "copyright")
        .map((row) => {
            const context = row.get("ContextString").trim();
            const behavior = row.get("Behavior");
            return {...makePrompt("harmbench", context ? `${context}\n\n---\n\n${behavior}` : behavior, true, row.get("SemanticCategory") || undefined, counters),
                harmbench: {behavior, ...(context ? {context} : {})}};
        });
}

const PROMPT_COLUMNS = ["prompt", "goal", "behavior", "question", "text"];

const UserRecord = z.object({
    prompt: z.string().min(1),
    label: z.string().optional(),
    harmful: z.boolean().optional(),
    category: z.string().optional()
});

async function readUserSet(filePath: string, set: string): Promise<SafetyPrompt[]> {
    if (!fs.existsSync(filePath)) throw new MissingFileError(filePath, `safety set ${set}`);
    if (fs.statSync(filePath).isDirectory())
        throw new UsageError(`unknown safety set "${set}"`, {hint: `built-in sets: ${BUILTIN_SAFETY_SETS.join(", ")}; a set of your own is NAME=FILE.csv or NAME=FILE.jsonl`});
    const counters = {harmful: 0, benign: 0};
    if (/\.jsonl$/i.test(filePath)) {
        const records = await readJsonl(filePath, UserRecord);
        return records.map((r, i) => makePrompt(set, r.prompt, r.harmful ?? (r.label === undefined ? true : parseLabel(r.label, filePath, i + 1)), r.category, counters));
    }
    const table = readCsvTable(filePath, [], {what: `safety set ${set}`});
    const prompt = PROMPT_COLUMNS.find((c) => table.columns.includes(c));
    if (!prompt) throw new DataFormatError(filePath, 1, `no prompt column (expected one of ${PROMPT_COLUMNS.join(", ")}; found ${table.columns.join(", ")})`);
    const has = (c: string) => table.columns.includes(c);
    return fromCsv(filePath, set, {prompt, ...(has("label") ? {label: "label"} : {harmful: true}), ...(has("category") ? {category: "category"} : {})}, table);
}

const HARMFUL_LABELS = new Set(["harmful", "unsafe", "1", "true", "yes"]);
const BENIGN_LABELS = new Set(["benign", "safe", "0", "false", "no"]);

function parseLabel(raw: string, filePath: string, line: number): boolean {
    const label = raw.trim().toLowerCase();
    if (HARMFUL_LABELS.has(label)) return true;
    if (BENIGN_LABELS.has(label)) return false;
    throw new DataFormatError(filePath, line, `label "${raw}" is neither harmful (harmful, unsafe) nor benign (benign, safe)`);
}
