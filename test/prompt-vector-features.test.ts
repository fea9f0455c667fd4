import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {promptVectorFeatures} from "../src/gate/prompt-vector-features.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {startPrismServe} from "../src/serve/prism-serve.js";
import {engineGateFeatures, gatePrompts, tinyGateFile, userTurn} from "./helpers/tiny-gate.js";
import {tempDir, tinyLora} from "./helpers/tiny-models.js";

// `prism serve --features prompt-vector`: a gate trained on the llama engine's final hidden state (instead of block
// 0's state, what bootstrap trains) is served with the same features, and refused with the other source.
let model: string, adapter: string, dir: string;
let llama: LlamaEngine;

beforeAll(async () => {
    ({model, adapter} = await tinyLora({}, {}));
    dir = tempDir("prompt-vector-features");
    llama = await LlamaEngine.load({model, gpu: false, contextSize: 512, parallel: 1});
});
afterAll(async () => {
    await llama?.dispose();
    fs.rmSync(dir, {recursive: true, force: true});
});

describe("prompt-vector gate features", () => {
    it("are the engine's prompt vector, declared as the state after every block of this model", async () => {
        const features = await promptVectorFeatures(llama);
        const file = await GgufFile.open(model);
        expect(features.definition).toEqual({layer: llama.blockCount, position: "last-prompt-token", width: llama.embeddingWidth});
        expect(llama.blockCount).toBe(file.get<number>(`${file.architecture}.block_count`));
        expect(features.modelFingerprint).toBe(file.fingerprint);
        const messages = userTurn(gatePrompts[0]!);
        expect(await features.extract(messages)).toEqual(await llama.promptVector({messages}));
        expect(await features.extract(userTurn(gatePrompts[7]!))).not.toEqual(await features.extract(messages));
    });

    it("serve picks them for a gate trained on them (auto or asked for), routes with them, and refuses them for a block-0 gate", async () => {
        const features = await promptVectorFeatures(llama);
        const {file: gateFile, gate} = await tinyGateFile(features, dir);
        for (const choice of ["auto", "prompt-vector"] as const) {
            const serve = await startPrismServe({model, adapter: {path: adapter, name: "persona"}, gate: gateFile, features: choice, llama: {gpu: false, contextSize: 512}, server: {port: 0}});
            try {
                expect(serve.routing).toMatchObject({features: "prompt-vector"});
                const client = new OpenAI({baseURL: `${serve.url}/v1`, apiKey: "none", maxRetries: 0});
                const routes = new Set<string>();
                for (const p of gatePrompts) {
                    const {useAdapter, score} = gate.decide(await features.extract(userTurn(p)));
                    const completion = await client.chat.completions.create({model: "prism", messages: userTurn(p), max_tokens: 2});
                    expect((completion as unknown as {prism: unknown}).prism).toMatchObject({route: useAdapter ? "adapter" : "base", gate_score: score});
                    routes.add(useAdapter ? "adapter" : "base");
                }
                expect(routes.size).toBe(2);
            } finally {
                await serve.shutdown();
            }
        }
        // A gate trained on block 0's state is refused with these features: they are another hidden state.
        const blockZero = await engineGateFeatures(llama);
        try {
            const {file: blockZeroGate} = await tinyGateFile(blockZero, fs.mkdtempSync(path.join(dir, "block-zero-")));
            await expect(startPrismServe({model, adapter: {path: adapter}, gate: blockZeroGate, features: "prompt-vector", llama: {gpu: false, contextSize: 512}, server: {port: 0}}))
                .rejects.toMatchObject({code: "E_GATE_MISMATCH"});
        } finally {
            blockZero.dispose();
        }
    });
});
