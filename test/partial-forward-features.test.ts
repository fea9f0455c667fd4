import {describe, expect, it} from "vitest";
import {loadChatTokenizer} from "../src/engine/load-chat-tokenizer.js";
import {GateFeatureDefinition} from "../src/gate/gate-features.js";
import {partialForwardFeatures} from "../src/gate/partial-forward-features.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {referenceForward} from "../src/model/reference-forward.js";
import {loadReferenceModel} from "../src/model/reference-model.js";
import {GgmlModel} from "../src/train/ggml-model.js";
import {compareRows, expectClose} from "./helpers/expect-close.js";
import {tinyModel} from "./helpers/tiny-models.js";

describe("gate features from the partial forward", () => {
    it("are block 0's state at the last token of the chat-formatted prompt, as the reference forward computes it", async () => {
        const modelPath = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 3});
        const tokenizer = await loadChatTokenizer(modelPath);
        const features = await partialForwardFeatures({modelPath, tokenizer, device: "cpu", threads: 1});
        try {
            const ref = loadReferenceModel(await GgufFile.open(modelPath));
            for (const messages of [
                [{role: "user" as const, content: "What is the capital of France?"}],
                [{role: "system" as const, content: "You are a careful geographer."}, {role: "user" as const, content: "Name a river."}, {role: "assistant" as const, content: "The Loire."}, {role: "user" as const, content: "Another?"}]
            ]) {
                // The prompt the engine feeds: the chat template's text (special tokens are not detokenized), ending with the assistant generation prompt.
                const tokens = tokenizer.formatPrompt(messages);
                const text = tokenizer.detokenize(tokens);
                for (const m of messages) expect(text).toContain(m.content);
                expect(text.endsWith("assistant\n")).toBe(true);
                const {layerOutputs} = referenceForward(ref, tokens, {keepLayerOutputs: true});
                const last = tokens.length - 1;
                const got = await features.extract(messages);
                expectClose([got], [layerOutputs![0]![last]!], {rtol: 1e-5, label: `block 0, ${messages.length} messages`, report: true});
                // Not any other block's state, nor another position's.
                expect(compareRows([got], [layerOutputs![1]![last]!]).relative).toBeGreaterThan(1e-2);
                expect(compareRows([got], [layerOutputs![0]![last - 1]!]).relative).toBeGreaterThan(1e-2);
            }
        } finally {
            features.dispose();
            await tokenizer.dispose();
        }
    });

    it("declare block 0 of this model, are batched as one at a time, and refuse prompts past the bound", async () => {
        const modelPath = await tinyModel({arch: "qwen2", dim: 64, heads: 4, kvHeads: 2, layers: 3});
        const tokenizer = await loadChatTokenizer(modelPath);
        const features = await partialForwardFeatures({modelPath, tokenizer, device: "cpu", threads: 1});
        try {
            expect(GateFeatureDefinition.parse(features.definition)).toEqual({layer: 1, position: "last-prompt-token", width: 64});
            const messages = [{role: "user" as const, content: "What is the capital of France?"}];
            const a = await features.extract(messages);
            const b = await features.extract([{role: "user", content: "Write a poem about the sea."}]);
            expect(a.length).toBe(64);
            expect(a.some((v, i) => Math.abs(v - b[i]!) > 1e-3)).toBe(true);
            using model = await GgmlModel.load({modelPath, device: "cpu", threads: 1});
            expect(features.modelFingerprint).toBe(model.fingerprint);
            // Batched (prompts of different lengths, padded) as one at a time.
            const prompts = ["Hi", "What is the capital of France?", "Write a poem about the sea, please, in four lines."].map((content) => [{role: "user" as const, content}]);
            const one = [];
            for (const p of prompts) one.push(await features.extract(p));
            const done: number[] = [];
            const many = await features.extractMany(prompts, {batchSize: 2, onProgress: (n) => done.push(n)});
            expect(done).toEqual([2, 3]);
            // A prompt as long as the bound is refused before any forward work, as the engine refuses it.
            const bounded = await partialForwardFeatures({modelPath, tokenizer, device: "cpu", threads: 1, maxTokens: 16});
            try {
                await expect(bounded.extract([{role: "user", content: "word ".repeat(40)}])).rejects.toMatchObject({code: "E_PROMPT_TOO_LONG"});
                expect((await bounded.extract([{role: "user", content: "Hi"}])).length).toBe(64);
            } finally {
                bounded.dispose();
            }
            const closeness = compareRows(many, one);
            console.log(`extractMany vs extract: max |diff| ${closeness.maxAbsDiff.toExponential(2)}`);
            expect(closeness.maxAbsDiff).toBeLessThan(1e-4);
        } finally {
            features.dispose();
            await tokenizer.dispose();
        }
    });
});
