import {resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaModel, type Token} from "node-llama-cpp";
import type {ChatMessage, ChatTokenizer} from "../model/chat-tokenizer.js";
import {sharedLlama} from "../ggml/ggml-libraries.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";

/**
 * A ChatTokenizer on node-llama-cpp's tokenizer and chat wrapper (the model loaded vocabulary-only, so it is cheap):
 * training tokenizes exactly as node-llama-cpp formats chats at inference.
 * (A stand-in until the llama engine's own ChatTokenizer is in main; both must stay interchangeable.)
 */
export class LlamaChatTokenizer implements ChatTokenizer {
    private constructor(private readonly model: LlamaModel, private readonly wrapper: ChatWrapper, private readonly endOfTurn: Token) {}

    static async load(modelPath: string): Promise<LlamaChatTokenizer> {
        const model = await (await sharedLlama()).loadModel({modelPath, vocabOnly: true});
        const endOfTurn = model.tokens.eot ?? model.tokens.eos;
        if (endOfTurn === null) {
            await model.dispose();
            throw new InvalidModelFileError(modelPath, "the tokenizer has neither an end-of-turn nor an end-of-sequence token", {hint: "prism needs one to end each assistant answer"});
        }
        return new LlamaChatTokenizer(model, resolveChatWrapper(model), endOfTurn);
    }

    get supportsSystemRole(): boolean {
        return this.wrapper.settings.supportsSystemMessages;
    }

    tokenize(text: string, options: {special?: boolean} = {}): number[] {
        return Array.from(this.model.tokenize(text, options.special ?? false));
    }

    detokenize(tokens: readonly number[]): string {
        return this.model.detokenize(tokens as Token[], true);
    }

    formatPrompt(messages: readonly ChatMessage[]): number[] {
        return this.render(messages, "");
    }

    formatExchange(messages: readonly ChatMessage[], response: string): {promptTokens: number[], responseTokens: number[]} {
        const promptTokens = this.formatPrompt(messages);
        const full = this.render(messages, response);
        if (full.length < promptTokens.length || promptTokens.some((t, i) => full[i] !== t))
            throw new Error("internal: the chat template does not render the prompt as a prefix of the exchange");
        return {promptTokens, responseTokens: [...full.slice(promptTokens.length), this.endOfTurn]};
    }

    private render(messages: readonly ChatMessage[], response: string): number[] {
        const chatHistory: ChatHistoryItem[] = messages.map((m) =>
            m.role === "assistant" ? {type: "model", response: [m.content]} : {type: m.role, text: m.content});
        chatHistory.push({type: "model", response: [response]});
        const {contextText} = this.wrapper.generateContextState({chatHistory});
        return Array.from(contextText.tokenize(this.model.tokenizer));
    }

    async dispose(): Promise<void> {
        await this.model.dispose();
    }
}
