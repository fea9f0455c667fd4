import {InvalidInputError} from "../util/prism-error.js";
import {PersonaPlacement} from "./persona-placement.js";
import {AnswerRecord, type DatasetRecord, PersonaRecord, QueryRecord, VerdictRecord} from "./run-records.js";
import type {StageContext, StageResult} from "./stage-context.js";

/**
 * Stage 5. Splits the queries by the self-verification outcome. The persona's answer wins only when the judge chose
 * it in both orders (pairwise) or scored it higher (pointwise); then the query, the winning answer and the persona go
 * to the distill set (gate label 1). Everything else (base preferred, ties, split decisions) goes to the retain set
 * with the base answer (label 0). A pure function of the earlier stages' records, written whole.
 */
export async function datasetsStage(ctx: StageContext): Promise<StageResult> {
    const {config} = ctx;
    const personas = new Map((await ctx.run.readRecords("personas", PersonaRecord)).map((p) => [p.id, p]));
    const queries = await ctx.run.readRecords("queries", QueryRecord);
    const answers = new Map((await ctx.run.readRecords("answers", AnswerRecord)).map((a) => [a.id, a]));
    const verdicts = new Map<string, VerdictRecord[]>();
    for (const v of await ctx.run.readRecords("verdicts", VerdictRecord)) {
        if (!verdicts.has(v.queryId)) verdicts.set(v.queryId, []);
        verdicts.get(v.queryId)!.push(v);
    }
    const placement = PersonaPlacement.parse(ctx.run.stage("answers")?.details?.placement);
    const distill: DatasetRecord[] = [], retain: DatasetRecord[] = [];
    for (const q of queries) {
        const [base, persona] = (["base", "persona"] as const).map((variant) => {
            const a = answers.get(`${q.id}:${variant}`);
            if (!a) throw new Error(`internal: query ${q.id} has no ${variant} answer`);
            return a;
        });
        const common = {id: q.id, domain: q.domain, split: q.split};
        if (personaWins(q.id, verdicts.get(q.id) ?? [])) {
            distill.push({...common, label: 1, messages: [{role: "user", content: q.text}, {role: "assistant", content: persona!.text}],
                teacher_system: personas.get(q.domain)![config.personaLength], placement});
        } else retain.push({...common, label: 0, messages: [{role: "user", content: q.text}, {role: "assistant", content: base!.text}]});
    }
    if (distill.length < 2 || retain.length < 2) {
        throw new InvalidInputError("E_ONE_OUTCOME", `self-verification gave ${distill.length} persona win(s) and ${retain.length} base win(s) or tie(s) over ${queries.length} queries; the gate needs both outcomes, at least 2 of each`, {
            hint: distill.length < 2
                ? "the persona never (or hardly ever) won both orders: generate more queries (--queries-per-intent), try other domains or another --seed; a model that always picks the same position cannot judge"
                : "the persona (almost) always won: generate more queries (--queries-per-intent) or add domains where it should not help"
        });
    }
    if (!distill.some((r) => r.split === "train")) {
        throw new InvalidInputError("E_ONE_OUTCOME", `every persona win (${distill.length}) is in the held-out share, leaving nothing to train the adapter on`, {hint: "generate more queries (--queries-per-intent)"});
    }
    ctx.run.replaceRecords("distill", distill);
    ctx.run.replaceRecords("retain", retain);
    const inSplit = (records: DatasetRecord[], split: string) => records.filter((r) => r.split === split).length;
    return {
        counts: {
            distill: distill.length, retain: retain.length, distillTrain: inSplit(distill, "train"), distillHeldOut: inSplit(distill, "heldOut"),
            retainTrain: inSplit(retain, "train"), retainHeldOut: inSplit(retain, "heldOut")
        }
    };
}

/** Pairwise: preferred in both orders. Pointwise: scored strictly higher than the base answer. `mine`: the query's verdicts. */
export function personaWins(queryId: string, mine: readonly VerdictRecord[]): boolean {
    const pairwise = mine.filter((v) => v.mode === "pairwise");
    if (pairwise.length > 0) {
        if (pairwise.length !== 2) throw new Error(`internal: query ${queryId} has ${pairwise.length} pairwise verdicts, not 2`);
        return pairwise.every((v) => v.preferred === "persona");
    }
    const score = (variant: string) => {
        const v = mine.find((x) => x.mode === "pointwise" && x.variant === variant);
        if (!v || v.mode !== "pointwise") throw new Error(`internal: query ${queryId} has no pointwise score of its ${variant} answer`);
        return v.score;
    };
    return score("persona") > score("base");
}
