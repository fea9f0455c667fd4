/**
 * The subset of OpenAI's chat-completions wire format prism speaks, both ways: `OpenAIEngine` sends it and
 * `src/serve`'s server accepts it. Request bodies are validated with zod; unknown fields pass through untouched, as
 * OpenAI-compatible servers (vLLM, llama-server, Ollama) accept each other's extensions.
 */
import {z} from "zod";
import type {ConversationMessage, FunctionTool, ToolCall, ToolChoice} from "./engine.js";

const TextPart = z.object({type: z.literal("text"), text: z.string()});

const Content = z.union([z.string(), z.array(TextPart)]);
/** OpenAI's function names: letters, digits, `_` and `-`, at most 64. */
const FunctionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a function name is 1 to 64 letters, digits, _ or -");

export const ToolCallParam = z.looseObject({
    id: z.string().min(1),
    type: z.literal("function"),
    function: z.looseObject({name: z.string().min(1), arguments: z.string()})
});
export type ToolCallParam = z.infer<typeof ToolCallParam>;

export const ChatCompletionMessage = z.discriminatedUnion("role", [
    z.looseObject({role: z.enum(["system", "developer", "user"]), content: Content}),
    z.looseObject({role: z.literal("assistant"), content: Content.nullish(), tool_calls: z.array(ToolCallParam).nullish()}),
    z.looseObject({role: z.literal("tool"), content: Content, tool_call_id: z.string().min(1)})
]);
export type ChatCompletionMessage = z.infer<typeof ChatCompletionMessage>;

export const FunctionToolParam = z.looseObject({
    type: z.literal("function"),
    function: z.looseObject({name: FunctionName, description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish(), strict: z.boolean().nullish()})
});
export type FunctionToolParam = z.infer<typeof FunctionToolParam>;

export const ToolChoiceParam = z.union([
    z.enum(["none", "auto", "required"]),
    z.looseObject({type: z.literal("function"), function: z.looseObject({name: z.string().min(1)})})
]);
export type ToolChoiceParam = z.infer<typeof ToolChoiceParam>;

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
    n: z.literal(1).nullish(),
    tools: z.array(FunctionToolParam).nullish(),
    tool_choice: ToolChoiceParam.nullish(),
    parallel_tool_calls: z.boolean().nullish()
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export type OpenAIFinishReason = "stop" | "length" | "content_filter" | "tool_calls" | null;
export type ToolCallDelta = {index: number, id?: string, type?: "function", function: {name?: string, arguments: string}};
export type OpenAIUsage = {prompt_tokens: number, completion_tokens: number, total_tokens: number};
export type TokenLogprob = {token: string, logprob: number, bytes: number[] | null, top_logprobs: {token: string, logprob: number, bytes: number[] | null}[]};

export type ChatCompletion = {
    id: string,
    object: "chat.completion",
    created: number,
    model: string,
    choices: {
        index: number, message: {role: "assistant", content: string | null, tool_calls?: ToolCallParam[]}, finish_reason: OpenAIFinishReason, logprobs: {content: TokenLogprob[]} | null
    }[],
    usage: OpenAIUsage
};

export type ChatCompletionChunk = {
    id: string,
    object: "chat.completion.chunk",
    created: number,
    model: string,
    choices: {index: number, delta: {role?: "assistant", content?: string, tool_calls?: ToolCallDelta[]}, finish_reason: OpenAIFinishReason}[],
    usage?: OpenAIUsage | null
};

/** What a client reads back; checked loosely, since servers add fields of their own. */
export const ChatCompletionResponse = z.object({
    model: z.string().optional(),
    choices: z.array(z.object({
        message: z.object({content: z.string().nullish(), tool_calls: z.array(ToolCallParam).nullish()}), finish_reason: z.string().nullable()
    })).min(1),
    usage: z.object({prompt_tokens: z.number(), completion_tokens: z.number()}).nullish()
});
export const ChatCompletionChunkResponse = z.object({
    choices: z.array(z.object({
        delta: z.object({
            content: z.string().nullish(),
            tool_calls: z.array(z.object({
                index: z.number().int().min(0), id: z.string().nullish(), function: z.object({name: z.string().nullish(), arguments: z.string().nullish()}).nullish()
            })).nullish()
        }).optional(),
        finish_reason: z.string().nullish()
    })).default([]),
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
export function toOpenAIFinishReason(reason: "stop" | "length" | "abort" | "tool-calls"): OpenAIFinishReason {
    return reason === "length" ? "length" : reason === "tool-calls" ? "tool_calls" : "stop";
}

export function fromOpenAIFinishReason(reason: string | null | undefined): "stop" | "length" | "tool-calls" {
    return reason === "length" ? "length" : reason === "tool_calls" || reason === "function_call" ? "tool-calls" : "stop";
}

/** OpenAI's messages to prism's (`developer` is a system message; tool calls and results keep their ids). */
export function fromOpenAIMessage(m: ChatCompletionMessage): ConversationMessage {
    switch (m.role) {
        case "system": case "developer": return {role: "system", content: messageText(m.content)};
        case "user": return {role: "user", content: messageText(m.content)};
        case "assistant": {
            const content = messageText(m.content ?? null);
            if (!m.tool_calls?.length) return {role: "assistant", content};
            return {role: "assistant", content, toolCalls: m.tool_calls.map((c) => ({toolCallId: c.id, toolName: c.function.name, input: c.function.arguments}))};
        }
        case "tool": return {role: "tool", content: messageText(m.content), toolCallId: m.tool_call_id};
    }
}

export function toOpenAIMessage(m: ConversationMessage): ChatCompletionMessage {
    if (m.role === "tool") return {role: "tool", content: m.content, tool_call_id: m.toolCallId};
    if (m.role === "assistant" && "toolCalls" in m && m.toolCalls.length > 0)
        return {role: "assistant", content: m.content === "" ? null : m.content, tool_calls: m.toolCalls.map(toOpenAIToolCall)};
    return {role: m.role, content: m.content};
}

export function toOpenAIToolCall(c: ToolCall): ToolCallParam {
    return {id: c.toolCallId, type: "function", function: {name: c.toolName, arguments: c.input}};
}

export function toOpenAITools(tools: readonly FunctionTool[]): FunctionToolParam[] {
    return tools.map((t) => ({type: "function", function: {name: t.name, ...(t.description ? {description: t.description} : {}), parameters: t.inputSchema}}));
}

export function fromOpenAITools(tools: readonly FunctionToolParam[]): FunctionTool[] {
    return tools.map((t) => ({type: "function", name: t.function.name, ...(t.function.description ? {description: t.function.description} : {}), inputSchema: t.function.parameters ?? {}}));
}

export function toOpenAIToolChoice(choice: ToolChoice): ToolChoiceParam {
    return choice.type === "tool" ? {type: "function", function: {name: choice.toolName}} : choice.type;
}

export function fromOpenAIToolChoice(choice: ToolChoiceParam): ToolChoice {
    return typeof choice === "string" ? {type: choice} : {type: "tool", toolName: choice.function.name};
}

export function toOpenAIUsage(u: {inputTokens: number, outputTokens: number}): OpenAIUsage {
    return {prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens};
}

export function fromOpenAIUsage(usage: {prompt_tokens: number, completion_tokens: number} | null | undefined): {inputTokens: number, outputTokens: number} {
    return {inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0};
}
