import {z} from "zod";
import type {ObjectRequest, PrismEngine} from "../engine/engine.js";
import {SchemaGenerationError} from "../engine/engine-errors.js";
import {readJsonl} from "../util/jsonl.js";
import {DataFormatError, PrismError} from "../util/prism-error.js";
import {PersonaLength} from "./bootstrap-config.js";
import {domainId} from "./domain-id.js";
import {itemSeed} from "./item-seed.js";
import {processInChunks} from "./process-in-chunks.js";
import {personaPrompt} from "../prompts/pipeline-prompts.js";
import {PersonaRecord} from "./run-records.js";
import type {StageContext, StageResult} from "./stage-context.js";
import {stripReasoning} from "../util/reasoning.js";

/** One line of a --personas file: a domain and its persona, as one text or per length. */
export const PersonaFileLine = z.strictObject({
    domain: z.string().trim().min(1),
    persona: z.string().trim().min(1).optional(),
    min: z.string().trim().min(1).optional(),
    short: z.string().trim().min(1).optional(),
    long: z.string().trim().min(1).optional()
}).refine((l) => l.persona !== undefined || l.min !== undefined || l.short !== undefined || l.long !== undefined, {
    message: "give \"persona\" (or \"min\", \"short\", \"long\")"
});
export type PersonaFileLine = z.infer<typeof PersonaFileLine>;

/**
 * Stage 1. For each domain the model writes its own expert persona in three lengths (one short sentence, about
 * 55 words, about 165 words), each one schema-constrained call; or the personas come from a hand-written file.
 * Resumes per domain.
 */
export async function personasStage(ctx: StageContext): Promise<StageResult> {
    const {config} = ctx;
    if (config.personasFile) return personasFromFile(ctx, config.personasFile);
    const done = new Set((await ctx.run.readRecords("personas", PersonaRecord)).map((r) => r.id));
    const pending = config.domains.filter((d) => !done.has(domainId(d)));
    ctx.progress(done.size, config.domains.length);
    if (pending.length > 0) {
        const engine = await ctx.engine();
        using out = ctx.run.appender("personas");
        await processInChunks({
            items: pending, label: "personas", signal: ctx.signal,
            // Three requests per domain: a chunk of domains fills the engine's sequences.
            chunkSize: Math.max(1, Math.floor(ctx.chunkSize / 3)),
            run: (domains) => Promise.all(domains.map(async (domain): Promise<PersonaRecord> => {
                const id = domainId(domain);
                const texts = await Promise.all(PersonaLength.options.map(async (length) => {
                    const {messages, schema, maxTokens, maxChars} = personaPrompt(domain, length);
                    // The first attempt's seed is the one runs always had, so a run that succeeds is unchanged.
                    const request = (attempt: number): ObjectRequest => ({messages, schema, maxTokens, thinkingMaxTokens: config.thinkingMaxTokens, temperature: config.personaTemperature,
                        seed: itemSeed(config.seed, "personas", attempt === 0 ? `${id}/${length}` : `${id}/${length}/attempt-${attempt + 1}`), signal: ctx.signal});
                    return generatePersona(engine, request, maxChars);
                }));
                const [min, short, long] = texts;
                return {id, domain, source: "model", min: min!.text, short: short!.text, long: long!.text, outputTokens: texts.reduce((n, t) => n + t.tokens, 0)};
            })),
            save: (records) => out.appendMany(records),
            onProgress: (n) => ctx.progress(done.size + n, config.domains.length)
        });
    }
    const records = await ctx.run.readRecords("personas", PersonaRecord);
    return {counts: {domains: records.length, outputTokens: records.reduce((n, r) => n + r.outputTokens, 0)}};
}

/**
 * Draws of one persona before the stage gives up. A sampled draw can fail so that nothing can be salvaged from it (a
 * small model spending the token budget on the whitespace JSON allows, before or after the string), and one such draw
 * must not stop a run of hundreds of calls: it happened to the bootstrap through `prism serve` on a random tiny model,
 * when concurrent requests changed what was sampled.
 */
const PERSONA_ATTEMPTS = 3;

/**
 * One schema-constrained persona, drawn again (with the next seed) while a draw gives nothing to use. The grammar
 * bounds the string in characters of the UTF-8 the model emits; a model that emits invalid UTF-8 (a random tiny one)
 * decodes to more replacement characters than the grammar counted, and the schema check refuses it: then the
 * complete JSON's string is taken, cut to the bound. A draw cut by the token budget gives the persona written so far.
 */
async function generatePersona(engine: PrismEngine, request: (attempt: number) => ObjectRequest, maxChars: number): Promise<{text: string, tokens: number}> {
    let spent = 0;
    for (let attempt = 0; ; attempt++) {
        try {
            const result = await engine.generateObject<{persona: string}>(request(attempt));
            return {text: result.object.persona.trim(), tokens: spent + result.usage.outputTokens};
        } catch (err) {
            if (!(err instanceof SchemaGenerationError || (PrismError.isInstance(err) && err.code === "E_SCHEMA_GENERATION"))) throw err;
            const cutBy = err instanceof SchemaGenerationError ? err.cutByLength : undefined;
            const salvaged = salvagePersona(err, maxChars);
            if (salvaged !== undefined) return {text: salvaged, tokens: spent + (cutBy?.outputTokens ?? 0)};
            if (attempt + 1 >= PERSONA_ATTEMPTS) throw err;
            spent += cutBy?.outputTokens ?? 0;
        }
    }
}

/** The persona a failed draw still holds (cut to `maxChars`), or undefined when it holds none. */
function salvagePersona(err: PrismError, maxChars: number): string | undefined {
    // Cut by the token budget: the persona written so far.
    const cut = err instanceof SchemaGenerationError && err.cutByLength ? partialPersona(stripReasoning(err.text)) : undefined;
    if (cut) return firstChars(cut, maxChars);
    // Complete JSON whose string broke the length bound (the error carries no usage: its tokens count as 0).
    let persona: unknown;
    try {
        persona = (JSON.parse(stripReasoning(String(err.details.text))) as {persona?: unknown}).persona;
    } catch {
        return undefined;
    }
    return typeof persona === "string" && [...persona].length > maxChars ? firstChars(persona, maxChars) : undefined;
}

/** The text's first `n` characters (code points, as the grammar counts them), trimmed. */
const firstChars = (text: string, n: number): string => [...text].slice(0, n).join("").trim();

/**
 * The string value of "persona" in JSON cut off inside it, or after it before the closing brace (in the whitespace
 * the grammar allows there), or undefined when the cut JSON holds no such text.
 */
export function partialPersona(cutJson: string): string | undefined {
    const m = /^\s*\{\s*"persona"\s*:\s*"((?:[^"\\]|\\.)*)(?:"\s*|\\?(?:\\u[0-9a-fA-F]{0,3})?)$/.exec(cutJson);
    if (!m) return undefined;
    try {
        const text = (JSON.parse(`"${m[1]}"`) as string).trim();
        return text.length > 0 ? text : undefined;
    } catch {
        return undefined;
    }
}

/** Hand-written personas: a length not given is `persona`, else the nearest longer length given, else the nearest shorter one. */
async function personasFromFile(ctx: StageContext, file: string): Promise<StageResult> {
    const lines = await readJsonl(file, PersonaFileLine);
    if (lines.length === 0) throw new DataFormatError(file, undefined, "no personas", {hint: "one JSON object a line: {\"domain\": \"math\", \"persona\": \"You are …\"}"});
    const seen = new Map<string, number>();
    const records = lines.map((l, i): PersonaRecord => {
        const id = domainId(l.domain);
        if (seen.has(id)) throw new DataFormatError(file, i + 1, `domain "${l.domain}" already has a persona on line ${seen.get(id)}`);
        seen.set(id, i + 1);
        const pick = (length: "min" | "short" | "long", others: readonly ("min" | "short" | "long")[]) => l[length] ?? l.persona ?? others.map((k) => l[k]).find((t) => t !== undefined)!;
        return {id, domain: l.domain, source: "file", min: pick("min", ["short", "long"]), short: pick("short", ["long", "min"]), long: pick("long", ["short", "min"]), outputTokens: 0};
    });
    // Written whole each time: there is nothing to resume in copying a file.
    ctx.run.replaceRecords("personas", records);
    ctx.progress(records.length, records.length);
    return {counts: {domains: records.length, outputTokens: 0}};
}
