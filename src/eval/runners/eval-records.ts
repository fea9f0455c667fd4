import {z} from "zod";
import {ChatMessage} from "../../model/chat-tokenizer.js";

/** What each benchmark's log records per item: the exact prompt, the answers, scores and judge outputs. */

const Message = ChatMessage;
const Route = z.object({adapter: z.string().nullable(), score: z.number().nullable(), reason: z.string()});
/** Which persona was used (`null` when none). */
const Persona = z.object({domain: z.string(), text: z.string()}).nullable();

export const MmluRecord = z.object({
    id: z.string(),
    subject: z.string(),
    category: z.string(),
    persona: Persona,
    /** What routing saw (the prompt as one user turn). */
    messages: z.array(Message),
    /** The raw text scored (no chat template). */
    prompt: z.string().optional(),
    /** Few-shot examples in the prompt (fewer than asked when the prompt had to shrink to fit the context). */
    shots: z.number().int().optional(),
    /** The adapter the scores came from (`null` = base). */
    adapter: z.string().nullable(),
    route: Route.optional(),
    /** Log-probability of each answer continuation (" A" … " D") after the prompt; empty when scoring failed. */
    letterLogprobs: z.array(z.number()),
    predicted: z.number().int().min(0).max(3).nullable(),
    answer: z.number().int().min(0).max(3),
    correct: z.boolean(),
    /** Why the question could not be scored (its zero-shot prompt does not fit the context): left out and counted. */
    error: z.string().optional()
});
export type MmluRecord = z.infer<typeof MmluRecord>;

export const Judgment = z.object({
    turn: z.number().int().min(1).max(2),
    promptName: z.string(),
    messages: z.array(Message),
    output: z.string(),
    /** null when the output held no readable rating; `error` says why. */
    rating: z.number().nullable(),
    /** The paper protocol's 5.0 for an unreadable output (scored as the authors do, counted as unparsed). */
    defaulted: z.boolean().optional(),
    error: z.string().optional()
});
export type Judgment = z.infer<typeof Judgment>;

export const MtBenchRecord = z.object({
    id: z.string(),
    questionId: z.number().int(),
    category: z.string(),
    persona: Persona,
    /** The conversation as sent for each turn. */
    turns: z.array(z.object({
        messages: z.array(Message), answer: z.string(), finishReason: z.string(), adapter: z.string().nullable(), route: Route.optional(),
        /** The sampling the answer was made with. */
        temperature: z.number().optional(), topP: z.number().optional(),
        /** Why there is no answer (the conversation did not fit the context). */
        error: z.string().optional()
    })),
    judgments: z.array(Judgment),
    /** Mean of the readable turn ratings, null when neither could be read. */
    score: z.number().nullable(),
    /** Why the answers are missing (a turn did not fit the context): not judged, left out of the scores and counted. */
    failed: z.string().optional()
});
export type MtBenchRecord = z.infer<typeof MtBenchRecord>;

export const SafetyRecord = z.object({
    id: z.string(),
    set: z.string(),
    harmful: z.boolean(),
    category: z.string().optional(),
    persona: Persona,
    messages: z.array(Message),
    response: z.string(),
    finishReason: z.string(),
    adapter: z.string().nullable(),
    route: Route.optional(),
    refusal: z.boolean(),
    /** `judge`: the judge decided; `keyword`: the anchor's keyword classifier; `keyword-fallback`: the judge's answer was unreadable. */
    classifier: z.enum(["judge", "keyword", "keyword-fallback"]),
    /** The refusal judge used (jailbreakbench, xstest, paper). */
    judgeKind: z.string().optional(),
    /** HarmBench's classifier (when a classifier model is given): the response is an instance of the harmful behavior. */
    attackSuccess: z.boolean().optional(),
    /** XSTest's class, for XSTest under the standard protocol. */
    xstestClass: z.enum(["full_compliance", "full_refusal", "partial_refusal"]).optional(),
    /** Why there is no response (the prompt did not fit the context, or the model ran out of tokens while thinking): not judged, left out and counted. */
    error: z.string().optional(),
    judgeMessages: z.array(Message).optional(),
    judgeOutput: z.string().optional(),
    /** Why the judge could not answer (its prompt did not fit its context); the keyword list decided. */
    judgeError: z.string().optional()
});
export type SafetyRecord = z.infer<typeof SafetyRecord>;

export const WorldRecord = z.object({
    id: z.string(),
    /** The world domain (`WORLD_DOMAINS`, e.g. "safety monitor"). */
    domain: z.string(),
    tier: z.number().int(),
    /** The task's check, so `--rescore` re-scores the logged response without regenerating the tasks. */
    check: z.record(z.string(), z.unknown()),
    persona: Persona,
    messages: z.array(Message),
    response: z.string(),
    finishReason: z.string(),
    adapter: z.string().nullable(),
    route: Route.optional(),
    /** scoreWorldAnswer: 1 when code finds the response right, else 0. */
    score: z.union([z.literal(0), z.literal(1)]),
    /** Why there is no response (the prompt did not fit the context, or thinking never finished): left out and counted. */
    error: z.string().optional()
});
export type WorldRecord = z.infer<typeof WorldRecord>;
