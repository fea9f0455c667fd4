import {getLlama, type Llama, type LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {GgmlModel} from "../src/train/ggml-model.js";
import {tinyModel} from "./helpers/tiny-models.js";
import {llamaCppLogProbs, logSoftmax, maxRelativeError} from "./helpers/logits.js";

// Forward parity: our ggml graph against llama.cpp (node-llama-cpp) on the same tiny model and tokens. node-llama-cpp
// 3.21 exposes the softmax of its logits, so both sides are compared as log-softmax (the logits up to a per-position
// constant). Metric: max over every position and vocabulary entry of |ours − llama.cpp|, divided by the largest
// |llama.cpp log-probability|. llama.cpp runs with an F32 KV cache and no flash attention: the same arithmetic.
const tolerance = {f32: 1e-4, f16: 1e-3, q8_0: 1e-3} as const;

let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

describe("forward parity with llama.cpp", () => {
    for (const arch of ["llama", "qwen2"] as const)
        for (const dtype of ["f32", "f16", "q8_0"] as const)
            it(`${arch} ${dtype}, grouped-query attention: max relative error < ${tolerance[dtype]}`, async () => {
                const modelPath = await tinyModel({arch, dtype, dim: 64, heads: 4, kvHeads: 2, layers: 2});
                let model: LlamaModel | undefined;
                try {
                    model = await llama.loadModel({modelPath});
                    const tokens = Array.from(model.tokenize("The quick brown fox jumps over the lazy dog. Then it sleeps."));
                    const reference = await llamaCppLogProbs(model, tokens);
                    using ours = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
                    const [logits] = await ours.logits([tokens]);
                    const err = maxRelativeError(logSoftmax(logits!, ours.hparams.nVocab), reference);
                    console.log(`${arch} ${dtype}: max relative error ${err.toExponential(2)} over ${tokens.length} positions`);
                    expect(err).toBeLessThan(tolerance[dtype]);
                } finally {
                    await model?.dispose();
                }
            });
});
