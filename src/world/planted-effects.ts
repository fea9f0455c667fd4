import {DEFAULT_DOMAINS} from "../prompts/persona-domains.js";

/** The world's twelve domains: the paper's, as the pipeline writes personas for them. */
export const WORLD_DOMAINS = DEFAULT_DOMAINS;
export type WorldDomain = (typeof WORLD_DOMAINS)[number];

/** How a persona changes a domain's accuracy: raises it, lowers it (knowledge, as the paper finds on MMLU), or not at all. */
export type EffectKind = "gain" | "loss" | "neutral";

/**
 * One domain's planted truth: the probability that an answer is checkably right (by `scoreWorldAnswer`)
 * - `base`: with no persona in the prompt;
 * - `persona`: with this domain's own persona (any length, either placement);
 * - `otherPersona`: with another domain's persona (the "any added context" control).
 * Rates are multiples of 0.1 because a task's tier (0-9, visible in its text) decides rightness: an answer is right
 * iff `tier < rate × 10`. So the base and persona answers to one task are coupled, and the persona's answer is
 * checkably better with probability exactly `max(0, persona − base)` (its planted win rate, in both orders).
 */
export type PlantedEffect = {kind: EffectKind, base: number, persona: number, otherPersona: number};

/**
 * The ground truth every world check compares against. Gain domains: the persona adds at least 60 points (the
 * issue's "planted win rate ≥ 60%"); loss domains: any persona costs 50 points and never wins; neutral domains: a
 * persona changes nothing (win rate 0 ≤ 10%). Another domain's persona helps nowhere. The gain domains' gains are
 * spread (60 to 100 points) so that routing share against persona gain has an order to follow, not a tie. Math's
 * persona is always right: at 0.9 its one tie tier ("What is 11 times 3?", both wrong) was the question the model
 * most often wrote itself (6 of 36 math queries with the model of 2026-12-05), so its measured win rate fell to 69%
 * on the query sampler's preference, not on anything the persona or the judge did.
 */
export const PLANTED_EFFECTS: Readonly<Record<WorldDomain, PlantedEffect>> = {
    "writing": {kind: "neutral", base: 0.7, persona: 0.7, otherPersona: 0.7},
    "roleplay": {kind: "neutral", base: 0.8, persona: 0.8, otherPersona: 0.8},
    "reasoning": {kind: "gain", base: 0.2, persona: 0.9, otherPersona: 0.2},
    "math": {kind: "gain", base: 0.0, persona: 1.0, otherPersona: 0.0},
    "coding": {kind: "gain", base: 0.3, persona: 0.9, otherPersona: 0.3},
    "extraction": {kind: "gain", base: 0.1, persona: 0.9, otherPersona: 0.1},
    "STEM": {kind: "loss", base: 0.9, persona: 0.4, otherPersona: 0.4},
    "humanities": {kind: "loss", base: 0.9, persona: 0.4, otherPersona: 0.4},
    "critic": {kind: "neutral", base: 0.6, persona: 0.6, otherPersona: 0.6},
    "safety monitor": {kind: "gain", base: 0.4, persona: 1.0, otherPersona: 0.4},
    "helpful": {kind: "neutral", base: 0.8, persona: 0.8, otherPersona: 0.8},
    "compliant": {kind: "neutral", base: 0.9, persona: 0.9, otherPersona: 0.9}
};

/** Tiers per domain: rates are multiples of 1 / TIERS. */
export const TIERS = 10;

/** Who answers: no persona, the task domain's own persona, or another domain's. */
export type AnswerCondition = "base" | "persona" | "otherPersona";

/** The planted probability that an answer under `condition` is checkably right. */
export function plantedRate(domain: WorldDomain, condition: AnswerCondition): number {
    return PLANTED_EFFECTS[domain][condition];
}

/** Whether the world's answer to a task of this tier is right under `condition` (the coupling described above). */
export function isPlantedRight(domain: WorldDomain, tier: number, condition: AnswerCondition): boolean {
    return tier < Math.round(plantedRate(domain, condition) * TIERS);
}

/** The planted persona win rate: P(the persona's answer is checkably better than the base answer). */
export function plantedWinRate(domain: WorldDomain): number {
    const {base, persona} = PLANTED_EFFECTS[domain];
    return Math.max(0, Math.round((persona - base) * TIERS) / TIERS);
}

export function isWorldDomain(name: string): name is WorldDomain {
    return (WORLD_DOMAINS as readonly string[]).includes(name);
}
