import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {GgmlModel} from "../src/train/ggml-model.js";
import {standInModel, type StandInSpec} from "./helpers/llama-cpp/stand-in-models.js";
import type {LlamaCppQuant} from "./helpers/llama-cpp/llama-quantize.js";
import {llamaCppLogProbs, logSoftmax, maxRelativeError} from "./helpers/logits.js";

// Forward parity with llama.cpp on files quantised by llama.cpp itself (libllama's llama_model_quantize), with the
// publishers' tokenizers and templates: the README's table of architectures × quantisations comes from this test's
// output. Width 256 so that K-quants quantise every matrix (their rows need multiples of 256); one block, tied
// embeddings, to keep the 150k-token vocabularies small. Metric as in forward-parity.test.ts.
const shapes: Record<"llama" | "qwen2", Omit<StandInSpec, "quant">> = {
    llama: {arch: "llama", layers: 1, dim: 256, heads: 4, kvHeads: 2, ff: 512, vocab: "llama-bpe", chatTemplate: "meta-llama-Llama-3.1-8B-Instruct", ropeTheta: 500000, ropeFreqs: true, tiedEmbeddings: true, seed: 31},
    qwen2: {arch: "qwen2", layers: 1, dim: 256, heads: 4, kvHeads: 2, ff: 512, vocab: "qwen2", chatTemplate: "Qwen-Qwen2.5-7B-Instruct", ropeTheta: 1e6, tiedEmbeddings: true, seed: 32}
};
const quants: LlamaCppQuant[] = ["q4_k_m", "q5_k_m", "q6_k", "q4_0", "q8_0", "bf16"];
const TOLERANCE = 1e-3;

let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

describe("forward parity with llama.cpp on llama.cpp-quantised stand-ins", () => {
    for (const arch of ["llama", "qwen2"] as const)
        for (const quant of quants)
            it(`${arch} ${quant}: max relative error < ${TOLERANCE}`, async () => {
                const modelPath = await standInModel({...shapes[arch], quant});
                const model = await llama.loadModel({modelPath});
                let tokens: number[], reference: Float32Array;
                try {
                    tokens = Array.from(model.tokenize("The quick brown fox jumps over the lazy dog, then naps in the sun."));
                    reference = await llamaCppLogProbs(model, tokens);
                } finally {
                    await model.dispose();
                }
                using ours = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
                const [logits] = await ours.logits([tokens]);
                const err = maxRelativeError(logSoftmax(logits!, ours.hparams.nVocab), reference);
                console.log(`parity ${arch} ${quant}: max relative error ${err.toExponential(2)} over ${tokens.length} positions`);
                expect(err).toBeLessThan(TOLERANCE);
            }, 300_000);
});
