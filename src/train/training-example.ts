import {z} from "zod";
import {placePersona} from "./persona-placement.js";
import {ChatMessage, type ChatTokenizer} from "../model/chat-tokenizer.js";
import {iterateJsonl} from "../util/jsonl.js";
import {DataFormatError} from "../util/prism-error.js";

/**
 * One line of a training file: a chat whose last message is the assistant answer to learn, and optionally the
 * persona the teacher sees (as its system prompt) and the student does not.
 */
export const ChatRecord = z.object({
    messages: z.array(ChatMessage).min(1),
    teacher_system: z.string().min(1).optional()
});
export type ChatRecord = z.infer<typeof ChatRecord>;

/** A tokenized example: the student's prompt, the answer, and (for distillation) the teacher's prompt. */
export type TrainingExample = {
    /** Where it came from (a file line), for error messages. */
    source: string,
    prompt: number[],
    response: number[],
    teacherPrompt?: number[]
};

export type TokenizeExamplesOptions = {
    /** Longest student sequence; a longer answer is cut to fit (and counted). */
    maxLen: number,
    /** Every record must carry teacher_system (distillation). */
    needTeacher: boolean,
    /** Where the teacher sees teacher_system: the system turn, or prepended to the first user turn. Defaults to the system turn when the template has one. */
    teacherInSystemTurn?: boolean
};

export type TokenizedExamples = {examples: TrainingExample[], truncated: number, responseTokens: number};

/** Reads a JSONL training file; errors name the file and line. */
export type SourcedRecord = {path: string, line: number, record: ChatRecord};

export async function readChatRecords(filePath: string): Promise<SourcedRecord[]> {
    const schema = ChatRecord.superRefine((record, ctx) => {
        if (record.messages.at(-1)!.role !== "assistant")
            ctx.addIssue({code: "custom", path: ["messages"], message: "the last message must be the assistant answer to learn (role \"assistant\")"});
    });
    const out: SourcedRecord[] = [];
    for await (const {line, value} of iterateJsonl(filePath, schema)) out.push({path: filePath, line, record: value});
    if (out.length === 0) throw new DataFormatError(filePath, undefined, "no training records", {hint: "each line is {\"messages\": [...], \"teacher_system\": \"...\"}"});
    return out;
}

/** Tokenizes records with the model's chat template; answers too long for maxLen are cut, prompts too long are refused. */
export function tokenizeExamples(records: readonly SourcedRecord[], tokenizer: ChatTokenizer, options: TokenizeExamplesOptions): TokenizedExamples {
    let truncated = 0, responseTokens = 0;
    const examples = records.map(({path, line, record}): TrainingExample => {
        const source = `${path}:${line}`;
        const messages = record.messages.slice(0, -1);
        const answer = record.messages.at(-1)!.content;
        const {promptTokens, responseTokens: full} = tokenizer.formatExchange(messages, answer);
        if (promptTokens.length >= options.maxLen)
            throw new DataFormatError(path, line, `the prompt alone is ${promptTokens.length} tokens, which leaves no room for the answer within --max-len ${options.maxLen}`, {
                hint: "raise --max-len or shorten the prompt"
            });
        const response = full.slice(0, options.maxLen - promptTokens.length);
        if (response.length < full.length) truncated++;
        responseTokens += response.length;
        const example: TrainingExample = {source, prompt: promptTokens, response};
        if (options.needTeacher) {
            if (!record.teacher_system)
                throw new DataFormatError(path, line, "no teacher_system: distillation needs the persona the teacher sees", {hint: "add \"teacher_system\" to every line, or use --objective sft"});
            const teacher = tokenizer.formatExchange(placePersona(messages, record.teacher_system, (options.teacherInSystemTurn ?? tokenizer.supportsSystemRole) ? "system" : "user", tokenizer.supportsSystemRole), answer);
            if (teacher.responseTokens.length !== full.length || teacher.responseTokens.some((t, i) => t !== full[i]))
                throw new DataFormatError(path, line, "the answer tokenizes differently after the teacher's prompt than after the student's", {
                    hint: "this chat template changes the answer's tokens with the system prompt; use --objective sft"
                });
            example.teacherPrompt = teacher.promptTokens;
        }
        return example;
    });
    return {examples, truncated, responseTokens};
}

/**
 * Refuses examples a training graph cannot take: an empty answer or prompt, or a token id outside the vocabulary
 * of V tokens (ggml would abort the process on it).
 */
export function checkExampleTokens(examples: readonly TrainingExample[], V: number): void {
    for (const e of examples) {
        if (e.response.length === 0) throw new DataFormatError(e.source, undefined, "the answer has no tokens");
        if (e.prompt.length === 0) throw new DataFormatError(e.source, undefined, "the prompt has no tokens (the first answer token needs a position to be predicted from)");
        for (const t of [...e.prompt, ...e.response, ...(e.teacherPrompt ?? [])])
            if (!Number.isInteger(t) || t < 0 || t >= V)
                throw new DataFormatError(e.source, undefined, `token id ${t} is outside the model's vocabulary (0..${V - 1})`, {hint: "tokenize with the model being trained"});
    }
}
