import type {ChatMessage} from "../engine/engine.js";
import {loadChatTokenizer} from "../engine/load-chat-tokenizer.js";
import type {ChatTokenizer} from "../model/chat-tokenizer.js";
import {PartialForward} from "../train/partial-forward.js";
import type {GateFeatureDefinition, GateFeatures} from "./gate-features.js";

export type HiddenStateFeaturesOptions = {
    modelPath: string,
    /** Blocks run before the state is read. Defaults to `1`: after the first block, which the adapter leaves alone. */
    layer?: number,
    /** The model's chat tokenizer (e.g. `LlamaEngine.chatTokenizer`); loaded vocabulary-only from the model when absent. */
    tokenizer?: ChatTokenizer,
    /** Defaults to `"auto"` (the available cores). */
    threads?: "auto" | number,
    /** Defaults to `"auto"`. */
    device?: "auto" | "cpu" | "gpu",
    /** Prompts run together in `extractMany`. Defaults to `16`. */
    batchSize?: number
};

/**
 * The gate's features: the residual stream at the prompt's last token (the end of the assistant generation prompt)
 * after the first `layer` blocks, computed by the trainer's partial forward on ggml over the prompt as the model's
 * chat template formats it. Only those blocks are loaded. The bootstrap gate stage trains on these and the router
 * scores requests with the same, so training and routing read identical states.
 */
export class HiddenStateFeatures implements GateFeatures {
    private constructor(
        private readonly forward: PartialForward,
        private readonly tokenizer: ChatTokenizer,
        private readonly ownedTokenizer: {dispose(): Promise<void>} | undefined,
        readonly definition: GateFeatureDefinition,
        private readonly batchSize: number
    ) {}

    static async load(options: HiddenStateFeaturesOptions): Promise<HiddenStateFeatures> {
        const layer = options.layer ?? 1;
        const owned = options.tokenizer ? undefined : await loadChatTokenizer(options.modelPath);
        try {
            const forward = await PartialForward.load({modelPath: options.modelPath, layers: layer, threads: options.threads, device: options.device});
            const definition: GateFeatureDefinition = forward.feature();
            return new HiddenStateFeatures(forward, options.tokenizer ?? owned!, owned, definition, options.batchSize ?? 16);
        } catch (err) {
            await owned?.dispose();
            throw err;
        }
    }

    get modelFingerprint(): string {
        return this.forward.modelFingerprint;
    }

    async extract(messages: readonly ChatMessage[]): Promise<Float32Array> {
        return this.forward.hiddenState(this.tokenizer.formatPrompt(messages));
    }

    /** The features of many prompts, run in batches. */
    async extractMany(prompts: readonly (readonly ChatMessage[])[], options: {signal?: AbortSignal, onProgress?(done: number): void} = {}): Promise<Float32Array[]> {
        const out: Float32Array[] = [];
        for (let start = 0; start < prompts.length; start += this.batchSize) {
            options.signal?.throwIfAborted();
            const batch = prompts.slice(start, start + this.batchSize).map((m) => this.tokenizer.formatPrompt(m));
            out.push(...await this.forward.hiddenStates(batch));
            options.onProgress?.(out.length);
        }
        return out;
    }

    get disposed(): boolean {
        return this.forward.disposed;
    }

    async dispose(): Promise<void> {
        if (this.forward.disposed) return;
        this.forward.dispose();
        await this.ownedTokenizer?.dispose();
    }

    async [Symbol.asyncDispose](): Promise<void> {
        await this.dispose();
    }
}
