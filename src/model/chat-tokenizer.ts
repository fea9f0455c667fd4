import {z} from "zod";

/** A tool (function) the model may call: its name, what it does, and a JSON Schema of its arguments. */
export type FunctionTool = {type: "function", name: string, description?: string, inputSchema: Record<string, unknown>};

/** A call the model made: `input` is the arguments as JSON text, as the model wrote them. */
export type ToolCall = {toolCallId: string, toolName: string, input: string};

/** A chat message, as every layer of prism passes it around; the schema reads it from files (training data, run records, logs). */
export const ChatMessage = z.object({role: z.enum(["system", "user", "assistant"]), content: z.string()});
export type ChatMessage = z.infer<typeof ChatMessage>;

/**
 * A message of an agent loop as well: an assistant turn that called tools, and a tool's result naming the call it
 * answers. What the engines accept; prism's own pipeline and eval only write `ChatMessage`s.
 */
export type ConversationMessage =
    | ChatMessage
    | {role: "assistant", content: string, toolCalls: readonly ToolCall[]}
    | {role: "tool", content: string, toolCallId: string};

/**
 * Turns chats into the exact tokens the model sees, with the model's own chat template. The llama engine provides
 * one (backed by node-llama-cpp's tokenizer); the trainer and the gate consume it, so training and inference
 * tokenize identically.
 */
export type ChatTokenizer = {
    tokenize(text: string, options?: {special?: boolean}): number[],
    detokenize(tokens: readonly number[]): string,
    /** Tokens of `messages` formatted with the chat template, ending with the assistant generation prompt. */
    formatPrompt(messages: readonly ConversationMessage[]): number[],
    /**
     * Tokens of a whole exchange: the prompt (as `formatPrompt`) and then the assistant `response` with its
     * end-of-turn token(s). `promptTokens.concat(responseTokens)` is the full sequence.
     */
    formatExchange(messages: readonly ChatMessage[], response: string): {promptTokens: number[], responseTokens: number[]},
    /** Whether the template has a system role (if not, personas go in the user turn). */
    readonly supportsSystemRole: boolean
};
