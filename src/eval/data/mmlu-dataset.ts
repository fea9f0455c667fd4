import fs from "node:fs";
import path from "node:path";
import {DataFormatError, MissingFileError, UsageError} from "../../util/prism-error.js";
import {readCsvRows} from "./csv-records.js";
import {mmluCategoryOf, type MmluCategory} from "./mmlu-subjects.js";
import {groupBy, roundRobin} from "./round-robin.js";

export type MmluQuestion = {
    /** `mmlu/<subject>/<0-based row>`: stable across runs, used to resume. */
    id: string,
    subject: string,
    category: MmluCategory,
    question: string,
    choices: [string, string, string, string],
    /** Index 0–3 of the correct choice. */
    answer: number
};

export type MmluSplit = "test" | "dev";

export type LoadMmluOptions = {
    /** A folder with `test/` and `dev/` subfolders of `<subject>_<split>.csv`, or a folder of such files. */
    dir: string,
    /** Defaults to `"test"`. */
    split?: MmluSplit,
    /** Only these subjects. Defaults to all files found. */
    subjects?: readonly string[],
    /** At most this many questions, taken round-robin across the four categories and their subjects. Defaults to all. */
    limit?: number
};

const HEADER = ["question", "choice0", "choice1", "choice2", "choice3", "answer"];
const LETTERS = ["A", "B", "C", "D"];

/**
 * Loads MMLU in either layout: the HF `cais/mmlu` CSV (header `question,choice0..choice3,answer`, answer 0–3) or the
 * original Hendrycks CSV (no header, answer letter A–D). A bad record is an error naming the file and line.
 */
export function loadMmlu(options: LoadMmluOptions): MmluQuestion[] {
    const split = options.split ?? "test";
    const files = mmluFiles(options.dir, split);
    const known = [...files.keys()];
    const wanted = options.subjects ?? known;
    const unknown = wanted.filter((s) => !files.has(s));
    if (unknown.length > 0)
        throw new UsageError(`no MMLU ${split} file for subject${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} in ${options.dir}`,
            {hint: `known subjects: ${known.join(", ")}`});
    const questions = wanted.flatMap((subject) => readMmluFile(files.get(subject)!, subject));
    if (options.limit === undefined) return questions;
    const byCategory = groupBy(questions, (q) => q.category);
    return roundRobin([...byCategory.values()].map((qs) => roundRobin([...groupBy(qs, (q) => q.subject).values()])), options.limit);
}

/** `<subject>_<split>.csv` files under `dir/<split>/` (or `dir/` itself), by subject. */
export function mmluFiles(dir: string, split: MmluSplit): Map<string, string> {
    const folder = fs.existsSync(path.join(dir, split)) ? path.join(dir, split) : dir;
    if (!fs.existsSync(folder)) throw new MissingFileError(folder, "MMLU folder");
    const suffix = `_${split}.csv`;
    const files = fs.readdirSync(folder).filter((f) => f.endsWith(suffix)).sort();
    if (files.length === 0)
        throw new MissingFileError(path.join(folder, `*${suffix}`), "MMLU file", {hint: `expected files named <subject>${suffix} in ${folder}`});
    return new Map(files.map((f) => [f.slice(0, -suffix.length), path.join(folder, f)]));
}

export function readMmluFile(filePath: string, subject: string): MmluQuestion[] {
    const rows = readCsvRows(filePath, {what: "MMLU file"});
    const hasHeader = rows[0] !== undefined && rows[0].fields.map((f) => f.trim().toLowerCase()).join() === HEADER.join();
    const category = mmluCategoryOf(subject);
    return rows.slice(hasHeader ? 1 : 0).map(({line, fields}, index) => {
        if (fields.length !== 6)
            throw new DataFormatError(filePath, line, `expected 6 fields (question, 4 choices, answer), found ${fields.length}`, {hint: "quote fields that contain commas"});
        const [question, c0, c1, c2, c3, rawAnswer] = fields as [string, string, string, string, string, string];
        const answer = parseAnswer(rawAnswer.trim(), hasHeader);
        if (answer === undefined)
            throw new DataFormatError(filePath, line, `answer "${rawAnswer}" is not ${hasHeader ? "an index 0-3" : "a letter A-D"}`,
                {hint: hasHeader ? "the header layout stores the index of the correct choice" : "the header-less layout stores the letter of the correct choice"});
        if (question.trim() === "") throw new DataFormatError(filePath, line, "the question is empty");
        return {id: `mmlu/${subject}/${index}`, subject, category, question, choices: [c0, c1, c2, c3], answer};
    });
}

function parseAnswer(raw: string, indexLayout: boolean): number | undefined {
    if (indexLayout) return /^[0-3]$/.test(raw) ? Number(raw) : undefined;
    const i = LETTERS.indexOf(raw.toUpperCase());
    return i < 0 ? undefined : i;
}

export const MMLU_LETTERS: readonly string[] = LETTERS;
