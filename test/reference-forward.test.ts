import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {readGgufLora} from "../src/lora/gguf-lora.js";
import {referenceLoraOf} from "../src/lora/lora-weights.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {referenceForward} from "../src/model/reference-forward.js";
import {hfLayoutModel, loadReferenceModel} from "../src/model/reference-model.js";
import type {TinyModelOptions} from "../src/model/tiny-model.js";
import {compareRows, expectClose} from "./helpers/expect-close.js";
import {llamaCppLogProbRows, logSoftmaxRows} from "./helpers/logits.js";
import {tinyLora} from "./helpers/tiny-models.js";

// The plain-TypeScript forward against llama.cpp on tiny models with grouped-query attention (4 heads, 2 kv heads).
// node-llama-cpp 3.21 gives probabilities, not logits, so the comparison is on log-probabilities (logits less each
// position's log-sum-exp). `npx vitest run test/reference-forward.test.ts` prints the differences; measured
// max |Δ| / max |log p| over 16 positions × 559 tokens: F32 1.7e-7–3.0e-7 (1.7e-6–2.1e-5 nats); F16 weights 1.8e-4
// and Q8_0 5.3e-3–6.2e-3, because llama.cpp rounds the activations to F16 / Q8_0 before those matmuls and the
// reference does not.
const RTOL = {f32: 1e-5, f16: 2e-3, q8_0: 5e-2} as const;

let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

const cases: {label: string, model: TinyModelOptions}[] = [
    {label: "llama f32", model: {arch: "llama", dtype: "f32"}},
    {label: "qwen2 f32 (q/k/v biases, neox rope)", model: {arch: "qwen2", dtype: "f32"}},
    {label: "llama f32 with tied embeddings", model: {arch: "llama", dtype: "f32", tiedEmbeddings: true}},
    {label: "llama f16", model: {arch: "llama", dtype: "f16"}},
    {label: "qwen2 q8_0", model: {arch: "qwen2", dtype: "q8_0"}}
];

describe("reference forward vs llama.cpp", () => {
    for (const c of cases)
        it(`gives llama.cpp's log-probabilities for ${c.label}, with and without a GGUF adapter`, async () => {
            const {model, adapter} = await tinyLora({layers: 2, dim: 64, heads: 4, kvHeads: 2, ...c.model}, {rank: 4});
            const ref = loadReferenceModel(await GgufFile.open(model));
            const tokens = [5, 300, 17, 99, 512, 3, 44, 200, 7, 61, 13, 550, 2, 80, 150, 9];
            const lora = await readGgufLora(adapter);
            const withLora = {lora: referenceLoraOf(lora)};
            const rtol = RTOL[c.model.dtype!];

            const base = referenceForward(ref, tokens).logits;
            const adapted = referenceForward(ref, tokens, withLora).logits;
            expectClose(await llamaCppLogProbRows(llama, model, tokens), logSoftmaxRows(base), {rtol, label: `${c.label} base`, report: true});
            expectClose(await llamaCppLogProbRows(llama, model, tokens, {lora: adapter}), logSoftmaxRows(adapted), {rtol, label: `${c.label} + adapter`, report: true});
            // Half the adapter's scale in llama.cpp is half the scale here.
            expectClose(await llamaCppLogProbRows(llama, model, tokens, {lora: adapter, scale: 0.5}), logSoftmaxRows(referenceForward(ref, tokens, {lora: referenceLoraOf(lora, 0.5)}).logits), {rtol, label: `${c.label} + adapter × 0.5`});
            // The adapter moves the logits far more than the tolerance, so the comparisons above can fail.
            expect(compareRows(adapted, base).relative).toBeGreaterThan(10 * rtol);
        });

    it("gives the same logits in Hugging Face's layout (un-permuted q/k rows, rotate-half rope)", async () => {
        const {model} = await tinyLora({arch: "llama", layers: 2, dim: 64, heads: 4, kvHeads: 2}, {rank: 4});
        const ref = loadReferenceModel(await GgufFile.open(model));
        const hf = hfLayoutModel(ref);
        expect(hf.ropeType).toBe("neox");
        const tokens = [9, 8, 7, 300, 301, 302, 40];
        expectClose(referenceForward(hf, tokens).logits, referenceForward(ref, tokens).logits, {rtol: 1e-6, label: "hf layout"});
        // Either half alone (permuted weights with the other rope) is a different model.
        expect(compareRows(referenceForward({...hf, ropeType: "norm"}, tokens).logits, referenceForward(ref, tokens).logits).relative).toBeGreaterThan(1e-2);
    });

    it("returns the residual stream after each block on request", async () => {
        const ref = loadReferenceModel(await GgufFile.open((await tinyLora({arch: "qwen2", layers: 2, dim: 64, heads: 4, kvHeads: 2})).model));
        const r = referenceForward(ref, [1, 2, 3], {keepLayerOutputs: true});
        expect(r.layerOutputs!.map((l) => l.map((row) => row.length))).toEqual([[64, 64, 64], [64, 64, 64]]);
        expect(() => referenceForward(ref, [ref.hparams.nVocab])).toThrow(/outside the vocabulary/);
    });
});
