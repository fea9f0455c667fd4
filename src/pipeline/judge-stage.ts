import type {PrismEngine} from "../engine/engine.js";
import {itemSeed} from "./item-seed.js";
import {processInChunks} from "./process-in-chunks.js";
import {PAIRWISE_SCHEMA, pairwisePrompt, POINTWISE_SCHEMA, pointwisePrompt} from "../prompts/pipeline-prompts.js";
import {AnswerRecord, AnswerVariant, QueryRecord, VerdictRecord} from "./run-records.js";
import type {StageContext, StageResult} from "./stage-context.js";
import {stripReasoning} from "../util/reasoning.js";

const ORDERS = ["base-first", "persona-first"] as const;
type Order = (typeof ORDERS)[number];
type Item = {id: string, query: QueryRecord, order?: Order, variant?: AnswerVariant};

/**
 * Stage 4, self-verification. The same model judges each pair (greedily by default), pairwise and twice with the order swapped,
 * its output constrained to A, B or TIE; answers are cut to `truncateChars` first. (Pointwise 1–10 scores of each
 * answer are the option the paper found biased toward long answers.) Resumable per judgement.
 */
export async function judgeStage(ctx: StageContext): Promise<StageResult> {
    const {config} = ctx;
    const queries = await ctx.run.readRecords("queries", QueryRecord);
    const answers = new Map((await ctx.run.readRecords("answers", AnswerRecord)).map((a) => [a.id, a]));
    // The judge reads the answers as a user would: without a reasoning model's thinking.
    const answer = (query: QueryRecord, variant: AnswerVariant) => truncate(stripReasoning(answers.get(`${query.id}:${variant}`)!.text), config.truncateChars);
    const items: Item[] = config.judge === "pairwise"
        ? queries.flatMap((query) => ORDERS.map((order) => ({id: `${query.id}:${order}`, query, order})))
        : queries.flatMap((query) => AnswerVariant.options.map((variant) => ({id: `${query.id}:${variant}`, query, variant})));
    const done = new Set((await ctx.run.readRecords("verdicts", VerdictRecord)).map((v) => v.id));
    const pending = items.filter((item) => !done.has(item.id));
    ctx.progress(done.size, items.length);
    if (pending.length > 0) {
        const engine = await ctx.engine();
        using out = ctx.run.appender("verdicts");
        await processInChunks({
            items: pending, chunkSize: ctx.chunkSize, label: "judge", signal: ctx.signal,
            run: (chunk) => Promise.all(chunk.map((item) => judge(engine, item, answer, {
                temperature: config.judgeTemperature, thinkingMaxTokens: config.thinkingMaxTokens, seed: itemSeed(config.seed, "judge", item.id), signal: ctx.signal
            }))),
            save: (records) => out.appendMany(records),
            onProgress: (n) => ctx.progress(done.size + n, items.length)
        });
    }
    const verdicts = await ctx.run.readRecords("verdicts", VerdictRecord);
    const count = (f: (v: VerdictRecord) => boolean) => verdicts.filter(f).length;
    return {
        counts: config.judge === "pairwise"
            ? {verdicts: verdicts.length, preferredPersona: count((v) => v.mode === "pairwise" && v.preferred === "persona"),
                preferredBase: count((v) => v.mode === "pairwise" && v.preferred === "base"), ties: count((v) => v.mode === "pairwise" && v.preferred === "tie"),
                chosePositionA: count((v) => v.mode === "pairwise" && v.verdict === "A")}
            : {verdicts: verdicts.length}
    };
}

type JudgeSampling = {temperature: number, thinkingMaxTokens: number, seed: number, signal?: AbortSignal};

async function judge(engine: PrismEngine, item: Item, answer: (q: QueryRecord, v: AnswerVariant) => string, sampling: JudgeSampling): Promise<VerdictRecord> {
    const common = {id: item.id, queryId: item.query.id, domain: item.query.domain};
    // A few tokens hold the enum (the rest is whitespace the grammar allows after it).
    const settings = {...sampling, maxTokens: 16};
    if (item.order) {
        const [a, b] = item.order === "base-first" ? [answer(item.query, "base"), answer(item.query, "persona")] : [answer(item.query, "persona"), answer(item.query, "base")];
        const {object: verdict} = await engine.generateObject<"A" | "B" | "TIE">({...settings, messages: pairwisePrompt(item.query.text, a, b), schema: PAIRWISE_SCHEMA});
        const shownFirst = item.order === "base-first" ? "base" : "persona", shownSecond = item.order === "base-first" ? "persona" : "base";
        return {...common, mode: "pairwise", order: item.order, verdict, preferred: verdict === "TIE" ? "tie" : verdict === "A" ? shownFirst : shownSecond};
    }
    const variant = item.variant!;
    const {object: score} = await engine.generateObject<number>({...settings, messages: pointwisePrompt(item.query.text, answer(item.query, variant)), schema: POINTWISE_SCHEMA});
    return {...common, mode: "pointwise", variant, score};
}

/** The first `maxChars` characters (never half of a surrogate pair). */
export function truncate(text: string, maxChars: number): string {
    if (text.length <= maxChars) return text;
    const cut = text.slice(0, maxChars);
    return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
