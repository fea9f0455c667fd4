import {Worker} from "node:worker_threads";
import {getLlama} from "node-llama-cpp";
import {describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {serializeSampling} from "../src/engine/serialize-sampling.js";
import {tinyModel} from "./helpers/tiny-models.js";

// Regression test for node-llama-cpp 3.21.1's sampling race (see src/engine/serialize-sampling.ts): with several
// sequences decoding in one context, concurrent native sampling swapped tokens between sequences, so greedy output
// depended on timing. A busy worker thread competes for the CPU to make the interleavings that exposed it likely.
describe("LlamaEngine under concurrency", () => {
    it("recognises node-llama-cpp's native context handle (fails loudly if an upgrade changes it)", async () => {
        const llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
        try {
            const model = await llama.loadModel({modelPath: await tinyModel({seed: 11})});
            const context = await model.createContext({contextSize: 128, threads: 1});
            expect(serializeSampling(context)).toBe(true);
            await context.dispose();
        } finally {
            await llama.dispose();
        }
    });

    it("gives every prompt the same greedy text at 4 parallel sequences as at 1, round after round, under CPU contention", async () => {
        const model = await tinyModel({seed: 11});
        const prompts = Array.from({length: 48}, (_, i) => `Item ${i}: describe ${["a river", "some animals", "a proof", "the code"][i % 4]} in ${i + 3} words.`);
        const requests = prompts.map((content) => ({messages: [{role: "user" as const, content}], maxTokens: 8}));
        let reference: string[];
        {
            await using single = await LlamaEngine.load({model, gpu: false, parallel: 1, contextSize: 512});
            reference = (await single.generate(requests)).map((r) => r.text);
        }
        const busy = new Worker("const end = Date.now() + 60000; while (Date.now() < end) {}", {eval: true});
        try {
            await using batched = await LlamaEngine.load({model, gpu: false, parallel: 4, contextSize: 2048});
            const mismatches: string[] = [];
            for (let round = 0; round < 12; round++) {
                const texts = (await batched.generate(requests)).map((r) => r.text);
                texts.forEach((t, i) => {
                    if (t !== reference[i]) mismatches.push(`round ${round} prompt ${i}: ${JSON.stringify(t)} ≠ ${JSON.stringify(reference[i])}`);
                });
            }
            expect(mismatches).toEqual([]);
        } finally {
            await busy.terminate();
        }
    });
});
