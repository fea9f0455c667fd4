import {z} from "zod";
import {DEFAULT_DOMAINS, PersonaLength} from "../prompts/persona-domains.js";
import {parseConfig} from "../util/parse-config.js";

// The domains and persona lengths sit in src/prompts (below pipeline, eval and the planted world); re-exported for the pipeline.
export {DEFAULT_DOMAINS, PersonaLength};

export const DEFAULT_THINKING_MAX_TOKENS = 1024;

/**
 * Every setting of a bootstrap run, flat, with the paper's values as defaults. Saved in the run's manifest; each
 * stage hashes the fields it depends on, so changing one re-runs that stage and those after it, and nothing else.
 */
export const BootstrapConfig = z.object({
    /** Domain names the model writes its personas for. Defaults to the paper's twelve (`DEFAULT_DOMAINS`). */
    domains: z.array(z.string().trim().min(1)).min(1).default([...DEFAULT_DOMAINS])
        .refine((d) => new Set(d.map((x) => x.toLowerCase())).size === d.length, {message: "domain names must be distinct"}),
    /** A JSONL file of hand-written personas (`{"domain": …, "persona": …}` a line) used instead of model-written ones. */
    personasFile: z.string().optional(),
    /** Which of the three persona lengths the queries, answers and teacher use. Defaults to `"long"` (150–180 words). */
    personaLength: PersonaLength.default("long"),
    /** Sampling temperature of persona writing. Defaults to `0.7`. */
    personaTemperature: z.number().min(0).max(2).default(0.7),
    /** Queries kept per domain (the paper's N). Defaults to `50`. */
    queriesPerDomain: z.number().int().min(1).default(50),
    /**
     * Attempts allowed per kept query: generation stops at `queriesPerDomain` kept queries or
     * `ceil(queriesPerDomain × this)` attempts, whichever comes first. Defaults to `3`.
     */
    queryAttemptsPerQuery: z.number().min(1).max(100).default(3),
    /** Sampling temperature of query writing (one query per call). Defaults to `0.9`. */
    queryTemperature: z.number().min(0).max(2).default(0.9),
    /** Token budget of one query. Defaults to `128`. */
    queryMaxTokens: z.number().int().min(8).default(128),
    /** Character-trigram Jaccard similarity at or above which a query is a near duplicate of a kept one. Defaults to `0.8`. */
    nearDuplicateSimilarity: z.number().gt(0).max(1).default(0.8),
    /** Share of each domain's queries held out to validate the gate (and the adapter's KL). Defaults to `0.2`. */
    heldOutShare: z.number().gt(0).lt(1).default(0.2),
    /** Where the persona goes: the system turn, or the user turn (always, for templates without a system role). Defaults to `"system"`. */
    placement: z.enum(["system", "user"]).default("system"),
    /** Token budget of each answer. Defaults to `512`. */
    answerMaxTokens: z.number().int().min(1).default(512),
    /** Sampling temperature of the answers. Defaults to `0.7`. */
    answerTemperature: z.number().min(0).max(2).default(0.7),
    /** Self-verification: pairwise with both orders (the paper's), or pointwise 1–10 scores (biased to length; for comparison). Defaults to `"pairwise"`. */
    judge: z.enum(["pairwise", "pointwise"]).default("pairwise"),
    /**
     * Sampling temperature of the judge. The paper's judge is greedy; a higher value samples verdicts (seeded per
     * judgement), e.g. to get both outcomes from a random test model whose greedy verdict never changes. Defaults to `0`.
     */
    judgeTemperature: z.number().min(0).max(2).default(0),
    /** Answers are cut to this many characters before judging. Defaults to `1500`. */
    truncateChars: z.number().int().min(1).default(1500),
    /**
     * Settings of the adapter's training (the trainer's config: rank, alpha, epochs, lr…). The pipeline fixes the
     * objective to `"distill"`; the rest default to the trainer's defaults (rank 16, alpha 32, all seven
     * projections, every layer but the first). Defaults to `{}`.
     */
    training: z.record(z.string(), z.unknown()).default({}),
    /** The gate: which classifier (`"auto"` keeps the MLP unless logistic regression has the better held-out AUC) and the threshold. */
    gate: z.object({
        kind: z.enum(["auto", "mlp", "logreg"]).default("auto"),
        /** `0.5`, another value in [0, 1], or `"calibrate"` (the best held-out balanced accuracy). */
        threshold: z.union([z.number().min(0).max(1), z.literal("calibrate")]).default(0.5)
    }).strict().default({kind: "auto", threshold: 0.5}),
    /**
     * Tokens a reasoning model (a chat template with `<think>`: the DeepSeek-R1 distills) may spend thinking in each
     * generating call, on top of that call's own budget; its thinking is stripped before anything is parsed. Other
     * models ignore it. Defaults to `1024`.
     */
    thinkingMaxTokens: z.number().int().min(0).default(DEFAULT_THINKING_MAX_TOKENS),
    /** Seeds every stage: per-item seeds derive from it, the stage and the item's id. Defaults to `0`. */
    seed: z.number().int().min(0).max(0x7fffffff).default(0)
}).strict();
export type BootstrapConfig = z.output<typeof BootstrapConfig>;
export type BootstrapConfigInput = z.input<typeof BootstrapConfig>;

/** Parses and completes a config; an error names the field and the value it got. */
export function resolveBootstrapConfig(input: BootstrapConfigInput = {}): BootstrapConfig {
    return parseConfig(BootstrapConfig, input, "bootstrap config");
}
