import {z} from "zod";
import {ChatMessage} from "../model/chat-tokenizer.js";

/**
 * The records each stage appends to its JSONL file, one per finished item, keyed by a stable `id`. A resumed
 * stage skips the ids already in its file. Read back with these schemas, so a damaged file names its line.
 */

const Message = ChatMessage;
const Split = z.enum(["train", "heldOut"]);
export type Split = z.infer<typeof Split>;

/** personas.jsonl: one domain's persona in three lengths. */
export const PersonaRecord = z.object({
    id: z.string(),
    domain: z.string(),
    /** "model": written by the model; "file": from --personas. */
    source: z.enum(["model", "file"]),
    min: z.string(),
    short: z.string(),
    long: z.string(),
    /** Tokens the model spent writing it (0 for hand-written ones). */
    outputTokens: z.number().int().min(0)
});
export type PersonaRecord = z.infer<typeof PersonaRecord>;

/** query-attempts.jsonl: one raw query generation, kept or not. */
export const QueryAttemptRecord = z.object({
    /** `${domainId}/${attempt}`. */
    id: z.string(),
    domain: z.string(),
    attempt: z.number().int().min(0),
    seed: z.number().int(),
    text: z.string(),
    finishReason: z.enum(["stop", "length"]),
    outputTokens: z.number().int().min(0)
});
export type QueryAttemptRecord = z.infer<typeof QueryAttemptRecord>;

/** queries.jsonl: a kept query (cleaned, deduplicated), with its share. */
export const QueryRecord = z.object({
    /** The id of the attempt that produced it. */
    id: z.string(),
    domain: z.string(),
    text: z.string().min(16),
    split: Split
});
export type QueryRecord = z.infer<typeof QueryRecord>;

export const AnswerVariant = z.enum(["base", "persona"]);
export type AnswerVariant = z.infer<typeof AnswerVariant>;

/** answers.jsonl: one answer to a query, without or with the persona. */
export const AnswerRecord = z.object({
    /** `${queryId}:${variant}`. */
    id: z.string(),
    queryId: z.string(),
    domain: z.string(),
    variant: AnswerVariant,
    seed: z.number().int(),
    text: z.string(),
    finishReason: z.enum(["stop", "length"]),
    outputTokens: z.number().int().min(0)
});
export type AnswerRecord = z.infer<typeof AnswerRecord>;

/** verdicts.jsonl: one judgement. Pairwise: one order of the pair; pointwise: one answer's score. */
export const VerdictRecord = z.discriminatedUnion("mode", [
    z.object({
        /** `${queryId}:${order}`. */
        id: z.string(),
        queryId: z.string(),
        domain: z.string(),
        mode: z.literal("pairwise"),
        /** Which answer was shown as A. */
        order: z.enum(["base-first", "persona-first"]),
        verdict: z.enum(["A", "B", "TIE"]),
        /** The verdict in terms of the answers. */
        preferred: z.enum(["base", "persona", "tie"])
    }),
    z.object({
        /** `${queryId}:${variant}`. */
        id: z.string(),
        queryId: z.string(),
        domain: z.string(),
        mode: z.literal("pointwise"),
        variant: AnswerVariant,
        score: z.number().int().min(1).max(10)
    })
]);
export type VerdictRecord = z.infer<typeof VerdictRecord>;

/**
 * distill.jsonl (label 1, the persona's answer won) and retain.jsonl (label 0). `messages` ends with the answer to
 * learn and `teacher_system` is the persona, so the file is also a training file for `prism train`.
 */
export const DatasetRecord = z.object({
    /** The query's id. */
    id: z.string(),
    domain: z.string(),
    split: Split,
    label: z.union([z.literal(0), z.literal(1)]),
    messages: z.array(Message).min(2),
    /** The persona (distill records only). */
    teacher_system: z.string().optional(),
    /** Where the teacher sees the persona. */
    placement: z.enum(["system", "user"]).optional()
});
export type DatasetRecord = z.infer<typeof DatasetRecord>;

/** gate-scores.jsonl: the trained gate's score for every query. */
export const GateScoreRecord = z.object({
    id: z.string(),
    domain: z.string(),
    split: Split,
    label: z.union([z.literal(0), z.literal(1)]),
    score: z.number().min(0).max(1),
    routed: z.enum(["adapter", "base"])
});
export type GateScoreRecord = z.infer<typeof GateScoreRecord>;
