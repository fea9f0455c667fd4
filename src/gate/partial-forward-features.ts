import type {ChatTokenizer} from "../model/chat-tokenizer.js";
import {PartialForward, type PartialForwardOptions} from "../train/partial-forward.js";
import type {GateFeatures} from "./gate-features.js";

export type PartialForwardFeaturesOptions = PartialForwardOptions & {
    /** Formats the messages as the prompt the engine would feed (the llama engine's chatTokenizer). */
    tokenizer: ChatTokenizer
};

/**
 * Gate features from the trainer's partial forward: the residual stream after the first `layers` blocks (default 1:
 * block 0, which adapters leave alone) at the prompt's last token, computed on those blocks only.
 */
export async function partialForwardFeatures(options: PartialForwardFeaturesOptions): Promise<GateFeatures & {dispose(): void}> {
    const {tokenizer, ...rest} = options;
    const forward = await PartialForward.load(rest);
    return {
        definition: forward.feature(),
        modelFingerprint: forward.modelFingerprint,
        extract: (messages) => forward.hiddenState(tokenizer.formatPrompt(messages)),
        dispose: () => forward.dispose()
    };
}
