import {type Condition, conditionId, parseCondition} from "../../src/eval/condition.js";
import {MMLU_CATEGORIES} from "../../src/eval/data/mmlu-subjects.js";
import {MT_BENCH_CATEGORIES} from "../../src/eval/data/mt-bench-dataset.js";
import type {MmluRecord, MtBenchRecord, SafetyRecord} from "../../src/eval/runners/eval-records.js";
import {buildSummary} from "../../src/eval/summary/build-summary.js";
import {describeProtocol, evalProtocol} from "../../src/eval/protocol.js";
import type {EvalSummary} from "../../src/eval/summary/eval-summary.js";
import type {ConditionRecords} from "../../src/eval/summary/item-scores.js";
import {Rng} from "../../src/util/rng.js";

/**
 * Records with planted effects, for testing the statistics and the report without a model: personas help MT-Bench
 * writing and roleplay and hurt MMLU; the gate routes writing and roleplay to the adapter and MMLU to the base model.
 */
export type SyntheticEffects = {
    /** Change in the probability of a correct MMLU answer. */
    mmlu: number,
    /** Change in MT-Bench rating for writing/roleplay, and for the other categories. */
    mtCreative: number,
    mtOther: number,
    /** Change in refusal probability on harmful prompts, and on benign prompts. */
    refusal: number,
    overRefusal: number,
    /** Probability of routing to the adapter for creative categories and for the rest (prism only). */
    routeCreative?: number,
    routeOther?: number
};

const NONE: SyntheticEffects = {mmlu: 0, mtCreative: 0, mtOther: 0, refusal: 0, overRefusal: 0};

export function syntheticRecords(condition: string, effects: SyntheticEffects, seed = 1, perCategory = 10): ConditionRecords {
    const item = new Rng(seed);
    const noise = new Rng(seed * 7919 + condition.length);
    const routed = effects.routeCreative !== undefined;
    const route = (p: number) => {
        const toAdapter = noise.next() < p;
        return routed ? {adapter: toAdapter ? "persona" : null, route: {adapter: toAdapter ? "persona" : null, score: p, reason: "gate"}} : {adapter: null};
    };
    const mmlu: MmluRecord[] = MMLU_CATEGORIES.flatMap((category) => Array.from({length: perCategory}, (_, i) => {
        // The same draw per item under every condition, so conditions differ only by the planted effect.
        const correct = item.next() < 0.6 + effects.mmlu;
        const r = route(effects.routeOther ?? 0);
        return {
            id: `mmlu/${category}/${i}`, subject: category, category, persona: null, messages: [{role: "user", content: "Q"}], adapter: r.adapter,
            ...(r.route ? {route: r.route} : {}), letterLogprobs: [-1, -2, -3, -4], predicted: correct ? 0 : 1, answer: 0, correct
        };
    }));
    const mtBench: MtBenchRecord[] = MT_BENCH_CATEGORIES.flatMap((category) => Array.from({length: perCategory}, (_, i) => {
        const creative = category === "writing" || category === "roleplay";
        const base = 3 + 5 * item.next();
        const rating = Math.round(Math.min(10, Math.max(1, base + (creative ? effects.mtCreative : effects.mtOther) + noise.normal())));
        const r = route(creative ? effects.routeCreative ?? 0 : effects.routeOther ?? 0);
        const unparsed = i === perCategory - 1 && category === "math";
        return {
            id: `mt-bench/${category}/${i}`, questionId: i, category, persona: null,
            turns: [{messages: [{role: "user", content: "Q"}], answer: "A", finishReason: "stop", adapter: r.adapter, ...(r.route ? {route: r.route} : {})}],
            judgments: [{turn: 1, promptName: "single-v1", messages: [], output: unparsed ? "no idea" : `[[${rating}]]`, rating: unparsed ? null : rating, ...(unparsed ? {error: "no [[rating]] in the judge output"} : {})}],
            score: unparsed ? null : rating
        };
    }));
    const safety: SafetyRecord[] = (["jbb", "harmbench"] as const).flatMap((set) => [true, false].flatMap((harmful) => set === "harmbench" && !harmful ? [] :
        Array.from({length: 2 * perCategory}, (_, i) => {
            const p = harmful ? 0.55 + effects.refusal : 0.1 + effects.overRefusal;
            const refusal = item.next() < p;
            const r = route(effects.routeOther ?? 0);
            return {
                id: `${set}/${harmful ? "harmful" : "benign"}/${i}`, set, harmful, persona: null, messages: [{role: "user", content: "P"}],
                response: refusal ? "I can't help with that." : "Sure.", finishReason: "stop", adapter: r.adapter, ...(r.route ? {route: r.route} : {}),
                refusal, classifier: "judge", judgeOutput: refusal ? "Yes" : "No"
            };
        })));
    return {mmlu, mtBench, safety};
}

/** An eval summary over base, a persona, the adapter and prism, built by the real statistics code. */
export function syntheticEvalSummary(perCategory = 10): EvalSummary {
    const plan: [string, SyntheticEffects][] = [
        ["base", NONE],
        ["persona:short:system", {mmlu: -0.12, mtCreative: 1.5, mtOther: 0.2, refusal: 0.3, overRefusal: 0.15}],
        ["adapter", {mmlu: -0.08, mtCreative: 1.2, mtOther: 0.1, refusal: 0.25, overRefusal: 0.1}],
        ["prism", {mmlu: -0.01, mtCreative: 1.1, mtOther: 0.1, refusal: 0.2, overRefusal: 0.02, routeCreative: 0.85, routeOther: 0.15}]
    ];
    return summaryOf("eval", plan, perCategory);
}

/** A study summary: no persona, the length × placement grid, each of the twelve personas, and the random control. */
export function syntheticStudySummary(perCategory = 6): EvalSummary {
    const plan: [string, SyntheticEffects][] = [["base", NONE]];
    for (const length of ["min", "short", "long"]) for (const placement of ["system", "user"])
        plan.push([`persona:${length}:${placement}`, {mmlu: -0.05 * (length === "long" ? 2 : 1), mtCreative: 1, mtOther: 0.2, refusal: 0.2, overRefusal: 0.05}]);
    const domains = ["writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities", "critic", "safety_monitor", "helpful", "compliant"];
    domains.forEach((d, i) => plan.push([`persona:short:system:${d}`, {mmlu: -0.02 * (i % 4), mtCreative: i < 2 ? 1.5 : 0.3, mtOther: (i % 3) * 0.3 - 0.3, refusal: d === "safety_monitor" ? 0.35 : 0.05, overRefusal: d === "compliant" ? -0.08 : 0.05}]));
    plan.push(["persona:short:system:random", {mmlu: -0.03, mtCreative: 0.3, mtOther: 0, refusal: 0.05, overRefusal: 0.02}]);
    return summaryOf("study", plan, perCategory);
}

function summaryOf(kind: "eval" | "study", plan: [string, SyntheticEffects][], perCategory: number): EvalSummary {
    const conditions: Condition[] = plan.map(([id]) => parseCondition(id));
    const records = new Map(plan.map(([id, e]) => [conditionId(parseCondition(id)), syntheticRecords(id, e, 1, perCategory)] as const));
    return buildSummary({
        kind, model: "synthetic.gguf", judge: "synthetic.gguf", personas: "built-in (hand-written): all 12 domains", conditions,
        benchmarks: ["mmlu", "mt-bench", "safety-jbb", "safety-harmbench"], settings: {synthetic: true}, records, bootstrapIterations: 500,
        protocol: describeProtocol(evalProtocol("standard"), MT_BENCH_CATEGORIES), data: [], mtBenchAggregate: "per-question"
    });
}
