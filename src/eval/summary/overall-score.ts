import {MMLU_CATEGORIES} from "../data/mmlu-subjects.js";
import {MT_BENCH_CATEGORIES} from "../data/mt-bench-dataset.js";
import {type ConditionScore, type OverallScore, scoreKeyLabel} from "./eval-summary.js";

/** The three safety sets of the paper; PKU-SafeRLHF is not in our data (a user set can stand in for it). */
export const PAPER_SAFETY_SETS = ["harmbench", "jbb", "pku-saferlhf"];

/**
 * The paper's overall score: the unweighted mean of 15 sub-scores on 0–100: the 8 MT-Bench categories (rating × 10),
 * the 4 MMLU categories (accuracy × 100) and the refusal rate on each safety set's harmful prompts (× 100). Benign
 * compliance (over-refusal) is reported beside it, not in it. Parts a run lacks are listed in `missing` and the
 * mean is over the parts present; every safety set of the run enters, and the result says which.
 */
export function overallScore(condition: string, scores: readonly ConditionScore[]): OverallScore {
    const mine = scores.filter((s) => s.condition === condition && s.score !== null);
    const find = (benchmark: string, category: string, metric: string) => mine.find((s) => s.benchmark === benchmark && s.category === category && s.metric === metric);
    const parts: OverallScore["parts"] = [];
    const missing: string[] = [];
    const take = (benchmark: "mt-bench" | "mmlu", category: string, metric: "rating" | "accuracy") => {
        const s = find(benchmark, category, metric);
        if (s) parts.push({name: scoreKeyLabel(s), score: s.score!});
        else missing.push(scoreKeyLabel({benchmark, category, metric}));
    };
    for (const c of MT_BENCH_CATEGORIES) take("mt-bench", c, "rating");
    for (const c of MMLU_CATEGORIES) take("mmlu", c, "accuracy");
    const safety = mine.filter((s) => s.benchmark === "safety" && s.metric === "refusal");
    for (const s of safety) parts.push({name: scoreKeyLabel(s), score: s.score!});
    const safetySets = safety.map((s) => s.category);
    const missingSafety = Math.max(0, 3 - safetySets.length);
    const absentPaperSets = PAPER_SAFETY_SETS.filter((s) => !safetySets.includes(s)).slice(0, missingSafety);
    for (const s of absentPaperSets) missing.push(`${s} refusal`);
    const score = parts.length === 0 ? null : parts.reduce((a, p) => a + p.score, 0) / parts.length;
    return {condition, score, parts, safetySets, missing};
}
