import {z} from "zod";
import type {ConversationMessage} from "../model/chat-tokenizer.js";

/**
 * What the gate reads: the hidden state of the prompt's last token (the end of the assistant generation prompt,
 * i.e. the position whose logits would give the first answer token) after the first `layer` transformer blocks.
 * `layer: 1` is the output of block 0 (Hugging Face's `hidden_states[1]`), which the adapter never changes because
 * it leaves block 0 alone, so the gate sees the same features with the adapter on or off.
 */
export const GateFeatureDefinition = z.object({
    /** Blocks applied before the state is read: 1 = after the first block. */
    layer: z.number().int().min(1),
    position: z.literal("last-prompt-token"),
    /** The model's hidden width (n_embd). */
    width: z.number().int().positive()
}).strict();
export type GateFeatureDefinition = z.infer<typeof GateFeatureDefinition>;

/**
 * A source of gate features for one model. The concrete one runs the trainer's partial forward (embedding and the
 * first `layer` blocks) on the prompt formatted with the model's chat template.
 */
export type GateFeatures = {
    readonly definition: GateFeatureDefinition,
    /** The fingerprint (`modelFingerprint`) of the model the features come from. */
    readonly modelFingerprint: string,
    /** The feature vector (width `definition.width`) of `messages`, formatted as a prompt awaiting the assistant's answer. */
    extract(messages: readonly ConversationMessage[]): Promise<Float32Array>
};

export function sameFeatureDefinition(a: GateFeatureDefinition, b: GateFeatureDefinition): boolean {
    return a.layer === b.layer && a.position === b.position && a.width === b.width;
}

export function describeFeatureDefinition(d: GateFeatureDefinition): string {
    return `${d.position} after block ${d.layer - 1} (layer ${d.layer}), width ${d.width}`;
}
