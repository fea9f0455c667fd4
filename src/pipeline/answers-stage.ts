import type {ChatMessage} from "../engine/engine.js";
import {finishedResult} from "./finished-result.js";
import {itemSeed} from "./item-seed.js";
import {effectivePlacement, placePersona} from "../train/persona-placement.js";
import {processInChunks} from "./process-in-chunks.js";
import {AnswerRecord, AnswerVariant, PersonaRecord, QueryRecord} from "./run-records.js";
import type {StageContext, StageResult} from "./stage-context.js";

/**
 * Stage 3. Each query answered twice by the base model: without a persona, and with the persona of the domain that
 * produced it (system turn, or user turn with `placement: "user"` or a template without a system role). Sampled
 * (temperature 0.7, up to 512 tokens by default), batched over the engine's parallel sequences, resumable per answer.
 */
export async function answersStage(ctx: StageContext): Promise<StageResult> {
    const {config} = ctx;
    const personas = new Map((await ctx.run.readRecords("personas", PersonaRecord)).map((p) => [p.id, p]));
    const queries = await ctx.run.readRecords("queries", QueryRecord);
    const items = queries.flatMap((query) => AnswerVariant.options.map((variant) => ({id: `${query.id}:${variant}`, query, variant})));
    const done = new Set((await ctx.run.readRecords("answers", AnswerRecord)).map((a) => a.id));
    const pending = items.filter((item) => !done.has(item.id));
    ctx.progress(done.size, items.length);
    if (pending.length > 0) {
        const engine = await ctx.engine();
        const supportsSystemRole = await ctx.supportsSystemRole();
        using out = ctx.run.appender("answers");
        await processInChunks({
            items: pending, chunkSize: ctx.chunkSize, label: "answers", signal: ctx.signal,
            run: async (chunk) => {
                const seeds = chunk.map((item) => itemSeed(config.seed, "answers", item.id));
                const results = await engine.generate(chunk.map((item, i) => {
                    const question: ChatMessage[] = [{role: "user", content: item.query.text}];
                    const persona = personas.get(item.query.domain)![config.personaLength];
                    return {
                        messages: item.variant === "base" ? question : placePersona(question, persona, config.placement, supportsSystemRole),
                        temperature: config.answerTemperature, maxTokens: config.answerMaxTokens, thinkingMaxTokens: config.thinkingMaxTokens, seed: seeds[i], signal: ctx.signal
                    };
                }));
                return chunk.map((item, i): AnswerRecord => ({
                    id: item.id, queryId: item.query.id, domain: item.query.domain, variant: item.variant, seed: seeds[i]!, ...finishedResult(results[i]!)
                }));
            },
            save: (records) => out.appendMany(records),
            onProgress: (n) => ctx.progress(done.size + n, items.length)
        });
    }
    const answers = await ctx.run.readRecords("answers", AnswerRecord);
    return {
        // The placement the persona answers were made with: the teacher of the distillation must see the persona there too.
        details: {placement: effectivePlacement(config.placement, await ctx.supportsSystemRole())},
        counts: {
            answers: answers.length, cutAtMaxTokens: answers.filter((a) => a.finishReason === "length").length,
            outputTokens: answers.reduce((n, a) => n + a.outputTokens, 0)
        }
    };
}
