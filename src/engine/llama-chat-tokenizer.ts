import {type ChatHistoryItem, type ChatModelFunctionCall, type ChatModelFunctions, type ChatWrapper, type LlamaModel, LlamaText, type Token} from "node-llama-cpp";
import type {ChatMessage, ChatTokenizer, ConversationMessage, FunctionTool} from "../model/chat-tokenizer.js";
import {UsageError} from "../util/prism-error.js";

/** Formatted prompts remembered (first in, first out). */
const RECENT_PROMPTS = 64;

/**
 * The exact tokens the llama engine feeds the model, from node-llama-cpp's chat wrapper for the model's template
 * (ChatML for the tiny models). The trainer consumes the same object, so training and inference tokenize identically.
 *
 * One deliberate difference from node-llama-cpp's own chat code: its wrappers always start with the BOS token, but a
 * model whose GGUF says not to add one (tokenizer.ggml.add_bos_token = false, as Qwen's) gets none, as llama.cpp's
 * server and Hugging Face's templates do. So a prompt tokenizes the same here and through llama-server.
 */
export class LlamaChatTokenizer implements ChatTokenizer {
    private readonly recent = new Map<string, readonly Token[]>();

    constructor(private readonly model: LlamaModel, readonly chatWrapper: ChatWrapper) {}

    get supportsSystemRole(): boolean {
        return this.chatWrapper.settings.supportsSystemMessages;
    }

    /** The token(s) that end an assistant turn: the model's end-of-turn token, else its end-of-sequence token. */
    get endOfTurnTokens(): Token[] {
        const t = this.model.tokens.eot ?? this.model.tokens.eos;
        return t == null ? [] : [t];
    }

    /** Plain-text stop triggers of the template (e.g. "<|im_end|>" typed out as text rather than as its special token). */
    get templateStopStrings(): string[] {
        const {stopGenerationTriggers} = this.chatWrapper.generateContextState({chatHistory: [{type: "model", response: []}]});
        return stopGenerationTriggers
            .filter((t) => t.values.length > 0 && t.values.every((v) => typeof v === "string"))
            .map((t) => t.values.join(""));
    }

    tokenize(text: string, options: {special?: boolean} = {}): Token[] {
        return this.model.tokenize(text, options.special ?? false);
    }

    detokenize(tokens: readonly number[]): string {
        return this.model.detokenize(tokens as Token[], false);
    }

    /**
     * Remembers the last few prompts: a routed request is formatted twice, by the gate's features and by the
     * generation, and formatting costs as much as the gate's forward pass on a small model (0.39 ms measured
     * right after a generation on the width-64 tiny model).
     */
    formatPrompt(messages: readonly ConversationMessage[], tools: readonly FunctionTool[] = []): Token[] {
        const key = JSON.stringify(tools.length > 0 ? [messages, tools] : messages);
        const known = this.recent.get(key);
        if (known) return [...known];
        const tokens = this.tokenizeContext(this.formatText(messages, tools));
        this.recent.set(key, tokens);
        if (this.recent.size > RECENT_PROMPTS) this.recent.delete(this.recent.keys().next().value!);
        return [...tokens];
    }

    /**
     * The prompt as text, ending with the assistant generation prompt: the tools' definitions go where the chat
     * wrapper puts them (a system message, for ChatML), and earlier calls with their results are rendered in the
     * template's own call syntax. After tool results, the model's turn continues (node-llama-cpp's convention).
     */
    formatText(messages: readonly ConversationMessage[], tools: readonly FunctionTool[] = []): LlamaText {
        const history = toHistory(messages);
        const {contextText} = this.chatWrapper.generateContextState({chatHistory: history, availableFunctions: tools.length > 0 ? toFunctions(tools) : undefined});
        return contextText;
    }

    /** Tokens of a prompt as text, followed by `responsePrefix` (the part of the answer already fixed). */
    tokenizePrompt(text: LlamaText, responsePrefix?: LlamaText): Token[] {
        return this.tokenizeContext(responsePrefix ? LlamaText([text, responsePrefix]) : text);
    }

    formatExchange(messages: readonly ChatMessage[], response: string): {promptTokens: Token[], responseTokens: Token[]} {
        return {promptTokens: this.formatPrompt(messages), responseTokens: [...this.tokenize(response), ...this.endOfTurnTokens]};
    }

    /** A raw text prompt (no chat template), with the BOS token when the model's GGUF asks for one, as llama.cpp and HF tokenizers do. */
    tokenizeRawPrompt(text: string): Token[] {
        const tokens = this.model.tokenize(text, false);
        const bos = this.model.tokens.bos;
        return bos != null && this.model.tokens.shouldPrependBosToken ? [bos, ...tokens] : tokens;
    }

    private tokenizeContext(text: LlamaText): Token[] {
        const tokens = text.tokenize(this.model.tokenizer);
        const bos = this.model.tokens.bos;
        if (bos != null && !this.model.tokens.shouldPrependBosToken && tokens[0] === bos) return tokens.slice(1);
        return tokens;
    }
}

/**
 * node-llama-cpp's chat history: a model turn holds its text and its function calls, each call with its result, so a
 * `tool` message fills in the result of the call it names. The history ends with an open model turn.
 */
function toHistory(messages: readonly ConversationMessage[]): ChatHistoryItem[] {
    const history: ChatHistoryItem[] = [];
    const calls = new Map<string, ChatModelFunctionCall>();
    for (const [i, m] of messages.entries()) {
        switch (m.role) {
            case "system": history.push({type: "system", text: LlamaText(m.content).toJSON()}); break;
            case "user": history.push({type: "user", text: m.content}); break;
            case "assistant": {
                const toolCalls = "toolCalls" in m ? m.toolCalls : [];
                const response: (string | ChatModelFunctionCall)[] = m.content === "" && toolCalls.length > 0 ? [] : [m.content];
                for (const [j, call] of toolCalls.entries()) {
                    const item: ChatModelFunctionCall = {type: "functionCall", name: call.toolName, params: parseArguments(call.input, i, j), result: undefined, startsNewChunk: j === 0};
                    calls.set(call.toolCallId, item);
                    response.push(item);
                }
                // An answer after tool results goes on with the same model turn, as node-llama-cpp writes it.
                const last = history.at(-1);
                if (messages[i - 1]?.role === "tool" && last?.type === "model") last.response.push(...response);
                else history.push({type: "model", response});
                break;
            }
            case "tool": {
                const call = calls.get(m.toolCallId);
                if (!call) throw new UsageError(`messages[${i}] is a tool result for tool_call_id "${m.toolCallId}", which no earlier assistant message called`, {
                    hint: "send the assistant message with its tool_calls before the tool results, with the same ids"
                });
                call.result = parseResult(m.content);
                break;
            }
        }
    }
    // After tool results the model's turn goes on; otherwise a new one starts.
    if (messages.at(-1)?.role !== "tool") history.push({type: "model", response: []});
    return history;
}

function parseArguments(input: string, message: number, call: number): unknown {
    if (input.trim() === "") return undefined;
    try {
        return JSON.parse(input);
    } catch {
        throw new UsageError(`messages[${message}].tool_calls[${call}].function.arguments is not JSON: ${input.slice(0, 80)}`, {hint: "send the arguments exactly as the model wrote them"});
    }
}

/** A tool's result as the template shows it: JSON when it is JSON (as node-llama-cpp's function handlers return), else the text. */
function parseResult(content: string): unknown {
    try {
        return JSON.parse(content);
    } catch {
        return content;
    }
}

function toFunctions(tools: readonly FunctionTool[]): ChatModelFunctions {
    return Object.fromEntries(tools.map((t) => [t.name, {description: t.description, params: t.inputSchema as ChatModelFunctions[string]["params"]}]));
}
