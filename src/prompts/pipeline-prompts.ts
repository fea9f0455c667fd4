import type {ChatMessage, JsonSchema} from "../engine/engine.js";
import type {PersonaLength} from "./persona-domains.js";

/**
 * What the pipeline asks the model: to write a persona, to write a query, to judge a pair of answers or score one.
 * Outputs are constrained by JSON schemas (bounded strings, enums), so even a model that writes noise terminates
 * with a parseable answer.
 */

const personaLengths: Record<PersonaLength, {instruction: string, maxChars: number}> = {
    min: {instruction: "Use a single short sentence of a few words that names the expert role.", maxChars: 120},
    short: {instruction: "Use about 50 to 60 words.", maxChars: 600},
    long: {instruction: "Use about 150 to 180 words.", maxChars: 1600}
};

/** The request for one domain's persona at one length, and the schema bounding it. */
export function personaPrompt(domain: string, length: PersonaLength): {messages: ChatMessage[], schema: JsonSchema, maxTokens: number, maxChars: number} {
    const {instruction, maxChars} = personaLengths[length];
    return {
        messages: [
            {role: "system", content: "You write system prompts that make an AI assistant answer as a real expert would."},
            {role: "user", content:
                `Write the persona of an expert in ${domain}, addressed to the assistant in the second person ("You are …"). ` +
                "Say what the expert knows, the standards they hold their work to, and how they answer questions. " +
                `${instruction} Reply with the persona only.`}
        ],
        schema: {type: "object", properties: {persona: {type: "string", minLength: 1, maxLength: maxChars}}, required: ["persona"]},
        // The grammar ends the string by maxChars. Prose runs about four characters a token, so a model writing what was
        // asked reaches that bound (or stops) well within maxChars / 3 tokens; a model that never closes the string
        // (a random one writes a character or two a token) is cut there instead of writing maxChars tokens.
        maxTokens: Math.ceil(maxChars / 3) + 32,
        maxChars
    };
}

/** The request for one query that the persona's expert would answer far better than a generalist. */
export function queryPrompt(persona: string): ChatMessage[] {
    return [
        {role: "system", content: "You write realistic questions that users ask AI assistants, for building an evaluation set."},
        {role: "user", content:
            `Here is an expert persona:\n\n${persona}\n\n` +
            "Write one realistic, specific question a user might ask that this expert would answer far better than a " +
            "generalist. Make it concrete and detailed rather than generic. Reply with the question only, on one line."}
    ];
}

const JUDGE_SYSTEM =
    "You are an impartial judge of answers to a user's question. Compare Answer A with Answer B on, in order of " +
    "importance: correctness (are the facts and the reasoning right?), relevance (does it address the question?), " +
    "helpfulness (is it useful and complete?) and clarity (is it well organised?). Length is not merit: a concise " +
    "correct answer beats a long padded one, and needless repetition or elaboration counts against an answer. " +
    "Reply with A if Answer A is better, B if Answer B is better, or TIE if they are equally good.";

/** Pairwise verdicts are this enum: the schema admits nothing else. */
export const PAIRWISE_SCHEMA: JsonSchema = {enum: ["A", "B", "TIE"]};

export function pairwisePrompt(query: string, answerA: string, answerB: string): ChatMessage[] {
    return [
        {role: "system", content: JUDGE_SYSTEM},
        {role: "user", content: `Question:\n${query}\n\nAnswer A:\n${answerA}\n\nAnswer B:\n${answerB}\n\nWhich answer is better: A, B or TIE?`}
    ];
}

const POINTWISE_SYSTEM =
    "You are an impartial judge of an answer to a user's question. Rate it on correctness, relevance, helpfulness " +
    "and clarity, from 1 (useless or wrong) to 10 (excellent). Length is not merit: padding and repetition lower the " +
    "score. Reply with the score only.";

export const POINTWISE_SCHEMA: JsonSchema = {enum: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]};

export function pointwisePrompt(query: string, answer: string): ChatMessage[] {
    return [
        {role: "system", content: POINTWISE_SYSTEM},
        {role: "user", content: `Question:\n${query}\n\nAnswer:\n${answer}\n\nYour score from 1 to 10:`}
    ];
}
