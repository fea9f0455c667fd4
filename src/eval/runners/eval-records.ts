import {z} from "zod";

/** What each benchmark's log records per item: the exact prompt, the answers, scores and judge outputs. */

const Message = z.object({role: z.enum(["system", "user", "assistant"]), content: z.string()});
const Route = z.object({adapter: z.string().nullable(), score: z.number().nullable(), reason: z.string()});
/** Which persona was used (`null` when none). */
const Persona = z.object({domain: z.string(), text: z.string()}).nullable();

export const MmluRecord = z.object({
    id: z.string(),
    subject: z.string(),
    category: z.string(),
    persona: Persona,
    messages: z.array(Message),
    /** The adapter the scores came from (`null` = base). */
    adapter: z.string().nullable(),
    route: Route.optional(),
    /** Log-probability of each answer letter A–D as the start of the answer. */
    letterLogprobs: z.array(z.number()).length(4),
    predicted: z.number().int().min(0).max(3),
    answer: z.number().int().min(0).max(3),
    correct: z.boolean()
});
export type MmluRecord = z.infer<typeof MmluRecord>;

export const Judgment = z.object({
    turn: z.number().int().min(1).max(2),
    promptName: z.string(),
    messages: z.array(Message),
    output: z.string(),
    /** null when the output held no readable 1–10 rating; `error` says why. */
    rating: z.number().nullable(),
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
        /** Why there is no answer (the conversation did not fit the context). */
        error: z.string().optional()
    })),
    judgments: z.array(Judgment),
    /** Mean of the readable turn ratings (1–10), null when neither could be read. */
    score: z.number().nullable()
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
    /** `judge`: the judge engine's yes/no; `keyword`: the keyword list; `keyword-fallback`: the judge's answer was unreadable. */
    classifier: z.enum(["judge", "keyword", "keyword-fallback"]),
    /** Why there is no response (the prompt did not fit the context). */
    error: z.string().optional(),
    judgeMessages: z.array(Message).optional(),
    judgeOutput: z.string().optional(),
    /** Why the judge could not answer (its prompt did not fit its context); the keyword list decided. */
    judgeError: z.string().optional()
});
export type SafetyRecord = z.infer<typeof SafetyRecord>;
