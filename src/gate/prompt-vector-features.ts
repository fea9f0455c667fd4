import type {PromptVectorRequest} from "../engine/engine.js";
import {GgufFile} from "../model/gguf-file.js";
import type {GateFeatures} from "./gate-features.js";

/** What the stand-in needs of an engine: the llama engine's prompt vector, and which GGUF file it runs. */
export type PromptVectorEngine = {
    readonly modelPath: string,
    readonly embeddingWidth: number,
    promptVector(request: PromptVectorRequest): Promise<Float32Array>
};

/**
 * The other feature source `prism serve --features prompt-vector` offers (bootstrap trains on the partial forward's
 * block-0 state): the engine's prompt vector (the final-norm hidden state at the last prompt token, after every
 * block), declared as `layer` = the model's block count. A gate trained on it works only with it; one trained on block-0 states is refused (`GateMismatchError`).
 * Each extraction is one extra forward pass over the whole prompt, on the engine's embedding context.
 */
export async function promptVectorFeatures(engine: PromptVectorEngine): Promise<GateFeatures> {
    const file = await GgufFile.open(engine.modelPath);
    const blocks = file.get<number>(`${file.architecture}.block_count`) ?? 0;
    return {
        definition: {layer: Math.max(1, blocks), position: "last-prompt-token", width: engine.embeddingWidth},
        modelFingerprint: file.fingerprint,
        extract: (messages) => engine.promptVector({messages})
    };
}
