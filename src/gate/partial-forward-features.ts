import {PromptTooLongError} from "../engine/engine-errors.js";
import type {ConversationMessage, ChatTokenizer} from "../model/chat-tokenizer.js";
import {PartialForward, type PartialForwardOptions} from "../forward/partial-forward.js";
import type {GateFeatures} from "./gate-features.js";

export type PartialForwardFeaturesOptions = PartialForwardOptions & {
    /** Formats the messages as the prompt the engine would feed (the llama engine's chatTokenizer). */
    tokenizer: ChatTokenizer,
    /**
     * Prompts of this many tokens or more are refused (`PromptTooLongError`, as the engine refuses them) before any forward work, which bounds the gate's time and
     * memory. Serve passes its engine's context size. Defaults to the model's trained context length.
     */
    maxTokens?: number
};

export type PartialForwardFeatures = GateFeatures & {
    /** The features of many prompts, `batchSize` (default 16) in one forward pass. */
    extractMany(prompts: readonly (readonly ConversationMessage[])[], options?: {batchSize?: number, signal?: AbortSignal, onProgress?(done: number): void}): Promise<Float32Array[]>,
    dispose(): void
};

/**
 * Gate features from the trainer's partial forward: the residual stream after the first `layers` blocks (default 1:
 * block 0, which adapters leave alone) at the prompt's last token, computed on those blocks only. The bootstrap gate
 * stage trains on these and the run router scores requests with the same, so training and routing read identical states.
 */
export async function partialForwardFeatures(options: PartialForwardFeaturesOptions): Promise<PartialForwardFeatures> {
    const {tokenizer, maxTokens: givenMax, ...rest} = options;
    const forward = await PartialForward.load(rest);
    const maxTokens = givenMax ?? forward.trainedContextLength;
    return {
        definition: forward.feature(),
        modelFingerprint: forward.modelFingerprint,
        async extract(messages) {
            const tokens = tokenizer.formatPrompt(messages);
            if (tokens.length >= maxTokens) throw new PromptTooLongError(tokens.length, maxTokens);
            return forward.hiddenState(tokens);
        },
        async extractMany(prompts, {batchSize = 16, signal, onProgress} = {}) {
            const out: Float32Array[] = [];
            for (let start = 0; start < prompts.length; start += batchSize) {
                signal?.throwIfAborted();
                out.push(...await forward.hiddenStates(prompts.slice(start, start + batchSize).map((m) => tokenizer.formatPrompt(m))));
                onProgress?.(out.length);
            }
            return out;
        },
        dispose: () => forward.dispose()
    };
}
