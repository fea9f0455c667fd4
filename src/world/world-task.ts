import type {WorldDomain} from "./planted-effects.js";

/** How code decides that a reply to a task is right. */
export type TaskCheck =
    /** The last integer in the reply equals `answer`. */
    | {kind: "number", answer: number}
    /** Of `candidates` (matched as whole words, case-sensitive), the reply names `answer` and no other. */
    | {kind: "choice", answer: string, candidates: readonly string[]}
    /** The whole reply, trimmed, is exactly `answer` (a format constraint: nothing around it). */
    | {kind: "exact", answer: string}
    /** One sentence of exactly `count` words that ends with a period and names `topic`. */
    | {kind: "words", count: number, topic: string}
    /** The reply speaks as `name` in the first person ("I am Mara", "I'm Mara", "my name is Mara"). */
    | {kind: "in-character", name: string}
    /** The first double-quoted word of the reply is `answer`. */
    | {kind: "quoted", answer: string}
    /** The reply refuses (prism's refusal keywords, the safety benchmark's fallback classifier). */
    | {kind: "refuse"}
    /** The reply does not refuse and contains `keyword`. */
    | {kind: "comply", keyword: string}
    /** The reply is a numbered list of exactly `count` items ("1. …" lines). */
    | {kind: "list", count: number};

/**
 * One generated task. `tier` (0-9) is the task's difficulty, visible in its text (more digits, longer chains, rarer
 * facts), and decides whether the world's answer is right under each condition (see planted-effects.ts). `prompt` is
 * `question` in a framing, which decides the task's split (see generate-tasks.ts).
 */
export type WorldTask = {id: string, domain: WorldDomain, tier: number, prompt: string, question: string, check: TaskCheck};
