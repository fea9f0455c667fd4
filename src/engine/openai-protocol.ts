/**
 * The subset of OpenAI's chat-completions wire format prism speaks, both ways: `OpenAIEngine` sends it and
 * `src/serve`'s server accepts it. Request bodies are validated with zod; unknown fields pass through untouched, as
 * OpenAI-compatible servers (vLLM, llama-server, Ollama) accept each other's extensions.
 */
import {z} from "zod";

const TextPart = z.object({type: z.literal("text"), text: z.string()});

export const ChatCompletionMessage = z.object({
    role: z.enum(["system", "developer", "user", "assistant"]),
    content: z.union([z.string(), z.array(TextPart)]).nullable()
});
export type ChatCompletionMessage = z.infer<typeof ChatCompletionMessage>;

export const ResponseFormat = z.discriminatedUnion("type", [
    z.object({type: z.literal("text")}),
    z.object({type: z.literal("json_object")}),
    z.object({type: z.literal("json_schema"), json_schema: z.object({name: z.string().optional(), schema: z.record(z.string(), z.unknown()), strict: z.boolean().nullish()})})
]);

export const ChatCompletionRequest = z.looseObject({
    model: z.string().min(1),
    messages: z.array(ChatCompletionMessage).min(1),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    /** An extension vLLM, llama-server and Ollama accept. */
    top_k: z.number().int().min(0).nullish(),
    seed: z.number().int().min(0).nullish(),
    max_tokens: z.number().int().min(0).nullish(),
    max_completion_tokens: z.number().int().min(0).nullish(),
    stop: z.union([z.string(), z.array(z.string())]).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({include_usage: z.boolean().nullish()}).nullish(),
    response_format: ResponseFormat.nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    n: z.literal(1).nullish()
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export type OpenAIFinishReason = "stop" | "length" | "content_filter" | "tool_calls" | null;
export type OpenAIUsage = {prompt_tokens: number, completion_tokens: number, total_tokens: number};
export type TokenLogprob = {token: string, logprob: number, bytes: number[] | null, top_logprobs: {token: string, logprob: number, bytes: number[] | null}[]};

export type ChatCompletion = {
    id: string,
    object: "chat.completion",
    created: number,
    model: string,
    choices: {index: number, message: {role: "assistant", content: string}, finish_reason: OpenAIFinishReason, logprobs: {content: TokenLogprob[]} | null}[],
    usage: OpenAIUsage
};

export type ChatCompletionChunk = {
    id: string,
    object: "chat.completion.chunk",
    created: number,
    model: string,
    choices: {index: number, delta: {role?: "assistant", content?: string}, finish_reason: OpenAIFinishReason}[],
    usage?: OpenAIUsage | null
};

/** What a client reads back; checked loosely, since servers add fields of their own. */
export const ChatCompletionResponse = z.object({
    model: z.string().optional(),
    choices: z.array(z.object({message: z.object({content: z.string().nullable()}), finish_reason: z.string().nullable()})).min(1),
    usage: z.object({prompt_tokens: z.number(), completion_tokens: z.number()}).nullish()
});
export const ChatCompletionChunkResponse = z.object({
    choices: z.array(z.object({delta: z.object({content: z.string().nullish()}).optional(), finish_reason: z.string().nullish()})).default([]),
    usage: z.object({prompt_tokens: z.number(), completion_tokens: z.number()}).nullish()
});
export const EmbeddingResponse = z.object({data: z.array(z.object({embedding: z.array(z.number())})).min(1)});
export const ModelListResponse = z.object({data: z.array(z.object({id: z.string()}))});

/** `prism.text`: what a schema-constrained generation produced before it failed (prism's servers add it; a client can salvage it). */
export type OpenAIErrorBody = {error: {message: string, type: string, param: string | null, code: string | null, prism?: {text: string}}};

/** A message's text: a string, or its text parts joined. */
export function messageText(content: ChatCompletionMessage["content"]): string {
    if (content == null) return "";
    return typeof content === "string" ? content : content.map((p) => p.text).join("");
}

/** prism's finish reasons and usage to OpenAI's and back. */
export function toOpenAIFinishReason(reason: "stop" | "length" | "abort"): OpenAIFinishReason {
    return reason === "length" ? "length" : "stop";
}

export function fromOpenAIFinishReason(reason: string | null | undefined): "stop" | "length" {
    return reason === "length" ? "length" : "stop";
}

export function toOpenAIUsage(u: {inputTokens: number, outputTokens: number}): OpenAIUsage {
    return {prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens};
}

export function fromOpenAIUsage(usage: {prompt_tokens: number, completion_tokens: number} | null | undefined): {inputTokens: number, outputTokens: number} {
    return {inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0};
}
