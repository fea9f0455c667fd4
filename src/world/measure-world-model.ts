import type {PrismEngine} from "../engine/engine.js";
import {isRefusalByKeywords} from "../prompts/refusal-keywords.js";
import {PersonaLength} from "../prompts/persona-domains.js";
import {PAIRWISE_SCHEMA} from "../prompts/pipeline-prompts.js";
import {isPlantedRight, PLANTED_EFFECTS, WORLD_DOMAINS, type WorldDomain} from "./planted-effects.js";
import {PRISM_PROMPTS} from "./render-corpus.js";
import {scoreWorldAnswer} from "./score-world-answer.js";
import {worldPersona, worldReply} from "./world-answers.js";
import type {WorldTask} from "./world-task.js";

export type DomainMeasure = {
    domain: WorldDomain, tasks: number,
    /** Share of checkably right answers (scoreWorldAnswer) with no persona and with the domain's persona. */
    base: number, persona: number,
    plantedBase: number, plantedPersona: number,
    /** Share of tasks whose answer is right exactly where the world plants it right (the model learned the tier rule). */
    baseAgrees: number, personaAgrees: number
};

export type WorldModelMeasure = {
    domains: DomainMeasure[],
    /** Share of outputs prism can use, per prompt kind: free (no grammar) and, where prism decodes under a schema, constrained. */
    parse: {
        personaFree: number, personaConstrained: number, personaExact: number,
        queryOneLine: number,
        pairwiseFree: number, pairwiseConstrained: number, pairwiseAgreesWithChecker: number,
        refusalJudgeYesNo: number, refusalJudgeAgreesWithKeywords: number
    }
};

export type MeasureWorldModelOptions = {
    /** Persona length and placement of the persona answers. Defaults to `"long"` and `"system"` (bootstrap's defaults). */
    personaLength?: PersonaLength, placement?: "system" | "user",
    /** Tokens per answer. Defaults to `96`. */
    maxTokens?: number,
    onProgress?(what: string): void
};

/**
 * Measures a world model through prism's engine on held-out tasks, greedily: per domain the rate of checkably right
 * answers with and without the domain's persona (against the planted table), and whether its replies to prism's
 * other prompts (persona writing, query writing, the pairwise and refusal judges) are usable.
 */
export async function measureWorldModel(engine: PrismEngine, tasks: readonly WorldTask[], options: MeasureWorldModelOptions = {}): Promise<WorldModelMeasure> {
    const {personaLength = "long", placement = "system", maxTokens = 96, onProgress} = options;
    const greedy = {temperature: 0, maxTokens};
    const texts = async (requests: Parameters<PrismEngine["generate"]>[0]) => (await engine.generate(requests)).map((r) => r.text);

    onProgress?.("answers");
    const base = await texts(tasks.map((t) => ({...greedy, messages: [{role: "user" as const, content: t.prompt}]})));
    const persona = await texts(tasks.map((t) => ({...greedy, messages: PRISM_PROMPTS.personaMessages([{role: "user", content: t.prompt}], worldPersona(t.domain, personaLength), placement)})));
    const domains = WORLD_DOMAINS.filter((d) => tasks.some((t) => t.domain === d)).map((domain): DomainMeasure => {
        const idx = tasks.flatMap((t, i) => (t.domain === domain ? [i] : []));
        const rate = (answers: string[]) => idx.reduce((s, i) => s + scoreWorldAnswer(tasks[i]!, answers[i]!), 0) / idx.length;
        const planted = (c: "base" | "persona") => idx.filter((i) => isPlantedRight(domain, tasks[i]!.tier, c)).length / idx.length;
        const agrees = (answers: string[], c: "base" | "persona") =>
            idx.filter((i) => (scoreWorldAnswer(tasks[i]!, answers[i]!) === 1) === isPlantedRight(domain, tasks[i]!.tier, c)).length / idx.length;
        return {domain, tasks: idx.length, base: rate(base), persona: rate(persona), plantedBase: planted("base"), plantedPersona: planted("persona"),
            baseAgrees: agrees(base, "base"), personaAgrees: agrees(persona, "persona")};
    });

    onProgress?.("personas");
    const personaRequests = WORLD_DOMAINS.flatMap((d) => PersonaLength.options.map((length) => ({d, length, ...PRISM_PROMPTS.personaPrompt(d, length)})));
    const freePersonas = await texts(personaRequests.map((p) => ({temperature: 0, maxTokens: p.maxTokens, messages: p.messages})));
    const parsedPersona = (text: string) => {
        try {
            const v = JSON.parse(text) as {persona?: unknown};
            return typeof v.persona === "string" && v.persona.length > 0 ? v.persona : undefined;
        } catch {
            return undefined;
        }
    };
    let personaConstrained = 0;
    for (const p of personaRequests)
        try {
            const {object} = await engine.generateObject<{persona: string}>({temperature: 0, maxTokens: p.maxTokens, messages: p.messages, schema: p.schema});
            if (typeof object.persona === "string" && object.persona.length > 0) personaConstrained++;
        } catch {
            // A reply the schema check refuses counts as unusable.
        }

    onProgress?.("queries");
    const queries = await texts(WORLD_DOMAINS.map((d) => ({temperature: 0, maxTokens: 128, messages: PRISM_PROMPTS.queryPrompt(worldPersona(d, personaLength))})));

    onProgress?.("judges");
    // The judge sees one right and one wrong reply (the world's own wording), in both orders.
    const judged = tasks.filter((_, i) => i % 3 === 0).flatMap((t) => {
        const right = worldReply(t, true), wrong = worldReply(t, false);
        return [{t, a: right, b: wrong, expect: "A"}, {t, a: wrong, b: right, expect: "B"}];
    });
    const freeVerdicts = await texts(judged.map((j) => ({temperature: 0, maxTokens: 8, messages: PRISM_PROMPTS.pairwisePrompt(j.t.prompt, j.a, j.b)})));
    let pairwiseConstrained = 0, agrees = 0;
    for (const j of judged)
        try {
            const {object} = await engine.generateObject<"A" | "B" | "TIE">({temperature: 0, maxTokens: 8, messages: PRISM_PROMPTS.pairwisePrompt(j.t.prompt, j.a, j.b), schema: PAIRWISE_SCHEMA});
            pairwiseConstrained++;
            if (object === j.expect) agrees++;
        } catch {
            // unusable
        }
    const behavioural = tasks.filter((t) => t.check.kind === "refuse" || t.check.kind === "comply");
    const refusalPairs = behavioural.flatMap((t) => [worldReply(t, true), worldReply(t, false)].map((response) => ({t, response})));
    const refusalVerdicts = await texts(refusalPairs.map((p) => ({temperature: 0, maxTokens: 8, messages: PRISM_PROMPTS.refusalJudgeMessages(p.t.prompt, p.response)})));

    const share = (n: number, d: number) => (d === 0 ? NaN : n / d);
    return {
        domains,
        parse: {
            personaFree: share(freePersonas.filter((t) => parsedPersona(t) !== undefined).length, freePersonas.length),
            personaConstrained: share(personaConstrained, personaRequests.length),
            personaExact: share(freePersonas.filter((t, i) => parsedPersona(t) === worldPersona(personaRequests[i]!.d, personaRequests[i]!.length)).length, freePersonas.length),
            queryOneLine: share(queries.filter((q) => q.trim().length > 0 && !q.trim().includes("\n")).length, queries.length),
            pairwiseFree: share(freeVerdicts.filter((v) => ["\"A\"", "\"B\"", "\"TIE\""].includes(v.trim())).length, freeVerdicts.length),
            pairwiseConstrained: share(pairwiseConstrained, judged.length),
            pairwiseAgreesWithChecker: share(agrees, judged.length),
            refusalJudgeYesNo: share(refusalVerdicts.filter((v) => v.trim() === "Yes" || v.trim() === "No").length, refusalVerdicts.length),
            refusalJudgeAgreesWithKeywords: share(refusalVerdicts.filter((v, i) => v.includes("Yes") === isRefusalByKeywords(refusalPairs[i]!.response)).length, refusalVerdicts.length)
        }
    };
}

/** The measure as a table beside the planted rates (markdown). */
export function formatWorldMeasure(m: WorldModelMeasure): string {
    const pct = (x: number) => (Number.isNaN(x) ? "–" : `${Math.round(x * 100)}%`);
    const rows = m.domains.map((d) => `| ${d.domain} | ${PLANTED_EFFECTS[d.domain].kind} | ${d.tasks} | ${pct(d.base)} (${pct(d.plantedBase)}) | ${pct(d.persona)} (${pct(d.plantedPersona)}) | ${pct(d.baseAgrees)} | ${pct(d.personaAgrees)} |`);
    const p = m.parse;
    return [
        "| domain | kind | tasks | base right (planted) | persona right (planted) | base as planted | persona as planted |", "|---|---|---|---|---|---|---|", ...rows, "",
        `persona JSON: free ${pct(p.personaFree)}, constrained ${pct(p.personaConstrained)}, exactly the world's persona ${pct(p.personaExact)}; ` +
        `query one line ${pct(p.queryOneLine)}; pairwise: free JSON ${pct(p.pairwiseFree)}, constrained ${pct(p.pairwiseConstrained)}, ` +
        `prefers the right reply ${pct(p.pairwiseAgreesWithChecker)}; refusal judge Yes/No ${pct(p.refusalJudgeYesNo)}, agrees with the keywords ${pct(p.refusalJudgeAgreesWithKeywords)}`
    ].join("\n");
}
