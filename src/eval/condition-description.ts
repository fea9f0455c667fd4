import type {Condition} from "./condition.js";

export function describeCondition(c: Condition): string {
    switch (c.kind) {
        case "base": return "the base model, no persona";
        case "adapter": return "the persona adapter on for every request";
        case "prism": return "PRISM: the gate turns the adapter on per request";
        case "persona": {
            const which = c.domain === "matching" ? "the matching domain's persona" : c.domain === "random" ? "another domain's persona (random control)" : `the ${c.domain.replace("_", " ")} persona`;
            return `${which}, ${c.length}, in the ${c.placement} turn`;
        }
    }
}

/** Definitions every summary carries, so a reader of the report knows what was measured. */
export const EVAL_NOTES: string[] = [
    "Scores are on a 0-100 scale: MMLU accuracy x 100, MT-Bench rating (1-10) x 10, refusal rate on harmful prompts x 100, compliance rate on benign prompts x 100, HarmBench attack success x 100 (with a classifier model).",
    "Deltas are paired: the same items under the condition and the baseline; intervals are 95% percentile bootstrap intervals over items; the sign test is exact and two-sided, ties dropped, with Holm's correction over each condition's categories beside it.",
    "Persona domains: MT-Bench categories use their own domain; MMLU STEM and other use stem, humanities and social sciences use humanities; safety sets use safety monitor.",
    "Random persona control: for each item, the persona of a domain other than the matching one, picked by a hash of the item id (the same in every run), at the same length and placement.",
    "Every setting that changes a number follows the run's protocol (summary.protocol lists each with its anchor); failed generations are left out and counted (failed), unreadable judgments are counted (unparsed).",
    "Overall: the paper's mean of exactly 15 parts (8 MT-Bench categories, 4 MMLU categories, refusal on the set in each of 3 safety slots); with any part missing it is null and the mean of the parts present is reported apart as overall_partial."
];
