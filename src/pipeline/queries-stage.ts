import {InvalidInputError} from "../util/prism-error.js";
import {itemSeed} from "./item-seed.js";
import {processInChunks} from "./process-in-chunks.js";
import {queryPrompt} from "../prompts/pipeline-prompts.js";
import {PersonaRecord, QueryAttemptRecord, type QueryRecord} from "./run-records.js";
import {assignSplits, selectDomainQueries, type DomainQuerySelection} from "./select-queries.js";
import type {StageContext, StageResult} from "./stage-context.js";
import {finishedResult} from "./finished-result.js";

/**
 * Stage 2. For each persona the model writes queries one per call (temperature 0.9, a seed per attempt); every
 * attempt is recorded, and the kept queries are a pure function of the attempts (first line, no numbering, more
 * than 15 characters, no exact or near duplicate within the domain). Cleaning drops some, so generation goes in
 * rounds: each round asks for as many attempts as queries are still missing, until every domain has its N or has
 * used its attempt budget (`ceil(N × queryAttemptsPerQuery)`). Attempt k of a domain always has the same seed,
 * so a resumed run makes the same attempts and keeps the same queries.
 */
export async function queriesStage(ctx: StageContext): Promise<StageResult> {
    const {config} = ctx;
    const personas = await ctx.run.readRecords("personas", PersonaRecord);
    const limit = config.queriesPerDomain, budget = Math.ceil(limit * config.queryAttemptsPerQuery);
    const attempts = new Map<string, QueryAttemptRecord[]>(personas.map((p) => [p.id, []]));
    for (const a of await ctx.run.readRecords("queryAttempts", QueryAttemptRecord)) attempts.get(a.domain)?.push(a);
    // A domain's selection changes only when it gets new attempts, so it is remembered until then: re-selecting every
    // domain after every chunk compared each attempt with every kept query over and over.
    const selections = new Map<string, DomainQuerySelection>();
    const select = (p: PersonaRecord): DomainQuerySelection => {
        let selection = selections.get(p.id);
        if (!selection) {
            selection = selectDomainQueries(attempts.get(p.id)!, {limit, nearDuplicateSimilarity: config.nearDuplicateSimilarity});
            selections.set(p.id, selection);
        }
        return selection;
    };
    const total = limit * personas.length;
    const keptCount = () => personas.reduce((n, p) => n + select(p).kept.length, 0);
    ctx.progress(keptCount(), total);

    using out = ctx.run.appender("queryAttempts");
    for (let round = 1; ; round++) {
        const pending: {persona: PersonaRecord, attempt: number}[] = [];
        for (const p of personas) {
            const missing = limit - select(p).kept.length;
            const recorded = new Set(attempts.get(p.id)!.map((a) => a.attempt));
            // The next `missing` attempt indices not yet recorded, within the budget.
            for (let k = 0, added = 0; k < budget && added < missing; k++) {
                if (recorded.has(k)) continue;
                pending.push({persona: p, attempt: k});
                added++;
            }
        }
        if (pending.length === 0) break;
        const engine = await ctx.engine();
        await processInChunks({
            items: pending, chunkSize: ctx.chunkSize, label: `queries (round ${round})`, signal: ctx.signal,
            run: async (chunk) => {
                const requests = chunk.map(({persona, attempt}) => ({
                    id: `${persona.id}/${attempt}`, persona, attempt, seed: itemSeed(config.seed, "queries", `${persona.id}/${attempt}`)
                }));
                const results = await engine.generate(requests.map((r) => ({
                    messages: queryPrompt(r.persona[config.personaLength]), temperature: config.queryTemperature, maxTokens: config.queryMaxTokens, thinkingMaxTokens: config.thinkingMaxTokens, seed: r.seed, signal: ctx.signal
                })));
                return requests.map((r, i): QueryAttemptRecord => ({
                    id: r.id, domain: r.persona.id, attempt: r.attempt, seed: r.seed, ...finishedResult(results[i]!)
                }));
            },
            save: (records) => {
                out.appendMany(records);
                for (const r of records) {
                    attempts.get(r.domain)!.push(r);
                    selections.delete(r.domain);
                }
                ctx.progress(keptCount(), total);
            }
        });
    }

    const final = personas.map(select);
    const queries: QueryRecord[] = assignSplits(final.flatMap((s) => s.kept), config.heldOutShare, config.seed);
    if (queries.length === 0) {
        throw new InvalidInputError("E_NO_QUERIES", `the model wrote no usable query in ${budget} attempts per domain (each was empty, 15 characters or fewer, or a duplicate)`, {
            hint: "use an instruction-tuned model, or raise queryAttemptsPerQuery"
        });
    }
    ctx.run.replaceRecords("queries", queries);
    const sum = (key: keyof DomainQuerySelection["dropped"]) => final.reduce((n, s) => n + s.dropped[key], 0);
    return {
        counts: {
            attempts: [...attempts.values()].reduce((n, a) => n + a.length, 0), kept: queries.length,
            heldOut: queries.filter((q) => q.split === "heldOut").length,
            droppedTooShort: sum("tooShort"), droppedDuplicate: sum("duplicate"), droppedNearDuplicate: sum("nearDuplicate"),
            domainsBelowTarget: final.filter((s) => s.kept.length < limit).length
        }
    };
}
