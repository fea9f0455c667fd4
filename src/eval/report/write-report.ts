import fs from "node:fs";
import path from "node:path";
import {writeFileAtomic, writeJsonAtomic} from "../../util/atomic-write.js";
import {DataFormatError, MissingFileError} from "../../util/prism-error.js";
import {EvalSummary, SUMMARY_VERSION} from "../summary/eval-summary.js";
import {reportHtml} from "./report-html.js";
import {reportMarkdown} from "./report-markdown.js";
import {reportView} from "./report-view.js";

export type WriteReportOptions = {
    /** A folder written by `prism eval` or `prism study` (holding `summary.json`), or the summary file itself. */
    source: string,
    /** Where the report files go. Defaults to the source folder. */
    out?: string
};

export type WriteReportResult = {html: string, markdown: string, json: string, conditions: number, categories: number};

/** Writes `report.html` (self-contained), `report.md` and `report.json` from an evaluation's summary. */
export async function writeReport(options: WriteReportOptions): Promise<WriteReportResult> {
    const summary = await readSummary(options.source);
    const out = options.out ?? (fs.statSync(options.source).isDirectory() ? options.source : path.dirname(options.source));
    const view = reportView(summary);
    const files = {html: path.join(out, "report.html"), markdown: path.join(out, "report.md"), json: path.join(out, "report.json")};
    await writeFileAtomic(files.html, reportHtml(view));
    await writeFileAtomic(files.markdown, reportMarkdown(view));
    await writeJsonAtomic(files.json, {...summary, tradeoff: view.tradeoff});
    return {...files, conditions: summary.conditions.length, categories: view.categories.length};
}

export async function readSummary(source: string): Promise<EvalSummary> {
    if (!fs.existsSync(source)) throw new MissingFileError(source, "evaluation folder");
    const file = fs.statSync(source).isDirectory() ? path.join(source, "summary.json") : source;
    if (!fs.existsSync(file)) throw new MissingFileError(file, "evaluation summary", {hint: "run prism eval or prism study with --out to this folder first"});
    let parsed: unknown;
    try {
        parsed = JSON.parse(await fs.promises.readFile(file, "utf8"));
    } catch (err) {
        throw new DataFormatError(file, undefined, `not valid JSON (${(err as Error).message})`);
    }
    const version = (parsed as {version?: unknown} | null)?.version;
    if (typeof version === "number" && version !== SUMMARY_VERSION)
        throw new DataFormatError(file, undefined, `summary version ${version}, this prism reads version ${SUMMARY_VERSION} (protocols, the 15-part overall score, data hashes)`,
            {hint: "evaluate again with this prism version into a new --out folder"});
    const result = EvalSummary.safeParse(parsed);
    if (!result.success) {
        const issue = result.error.issues[0]!;
        throw new DataFormatError(file, undefined, `not a prism evaluation summary: "${issue.path.join(".")}" ${issue.message}`,
            {hint: "the file must be the summary.json that prism eval or prism study wrote (same prism version)"});
    }
    return result.data;
}
