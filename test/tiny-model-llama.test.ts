import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {trainByteBpe, encodeWithBpe} from "../src/model/byte-bpe.js";
import {TINY_CORPUS} from "../src/model/tiny-corpus.js";
import {tinyModel} from "./helpers/tiny-models.js";

// The tiny models must be real models to llama.cpp: loadable in every dtype, tokenizing as the BPE we trained.
let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

describe("tiny models in llama.cpp", () => {
    for (const arch of ["llama", "qwen2"] as const)
        for (const dtype of ["f32", "f16", "q8_0"] as const)
            it(`loads and runs ${arch} ${dtype}`, async () => {
                const model = await llama.loadModel({modelPath: await tinyModel({arch, dtype, dim: 64, heads: 4, kvHeads: 2})});
                try {
                    expect(model.fileInfo.metadata.general.architecture).toBe(arch);
                    const context = await model.createContext({contextSize: 256, threads: 1});
                    const sequence = context.getSequence();
                    const tokens = model.tokenize("The capital of France is");
                    const out = await sequence.controlledEvaluate([...tokens.slice(0, -1), [tokens.at(-1)!, {generateNext: {probabilities: true}}]]);
                    const probabilities = out.at(-1)!.next.probabilities!;
                    expect(probabilities.size).toBe((model.fileInfo.metadata.tokenizer.ggml.tokens as string[]).length);
                    let sum = 0;
                    for (const p of probabilities.values()) sum += p;
                    expect(sum).toBeCloseTo(1, 4);
                    await context.dispose();
                } finally {
                    await model.dispose();
                }
            });

    it("tokenizes exactly as the reference BPE encoder, and knows the ChatML special tokens", async () => {
        const model = await llama.loadModel({modelPath: await tinyModel()});
        try {
            const bpe = trainByteBpe(TINY_CORPUS, 512);
            for (const text of ["Hello world, how are you?", "The answer is 84.\n\ndef total(numbers):\n    return 0", "Ünïcödé ✓ 你好"])
                expect(Array.from(model.tokenize(text))).toEqual(encodeWithBpe(bpe, text));
            const special = model.tokenize("<|im_start|>user\nhi<|im_end|>", true);
            expect(model.detokenize([special[0]!], true)).toBe("<|im_start|>");
            expect(model.detokenize(model.tokenize("round trip ✓"))).toBe("round trip ✓");
        } finally {
            await model.dispose();
        }
    });
});
