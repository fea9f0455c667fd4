import fs from "node:fs";
import path from "node:path";
import {getLlama, type Llama} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {readAdapterBase} from "../src/lora/adapter-base.js";
import {loadAdapter, saveAdapter} from "../src/lora/adapter-file.js";
import {readGgufLora} from "../src/lora/gguf-lora.js";
import {referenceLoraOf} from "../src/lora/lora-weights.js";
import {readSafetensors, writeSafetensors} from "../src/lora/safetensors.js";
import {projectionNames, projections, type ProjectionName} from "../src/model/architecture.js";
import {GgufFile} from "../src/model/gguf-file.js";
import {projectionShape} from "../src/model/model-hparams.js";
import {referenceForward, type ReferenceLora} from "../src/model/reference-forward.js";
import {hfLayoutModel, loadReferenceModel} from "../src/model/reference-model.js";
import {Rng} from "../src/util/rng.js";
import {compareRows, expectClose} from "./helpers/expect-close.js";
import {llamaCppLogProbRows, logSoftmaxRows} from "./helpers/logits.js";
import {tempDir, tinyLora, tinyModel} from "./helpers/tiny-models.js";

// The acceptance test: a PEFT adapter, in the layout Hugging Face holds it, gives in a plain-TypeScript
// forward over the HF-layout model the same logits that llama.cpp gives with the GGUF adapter prism converted it to
// (compared as log-probabilities against llama.cpp, which node-llama-cpp 3.21 exposes instead of logits).
// PEFT's side is written out here by hand (names, shapes, config, the alpha/r or alpha/√r scale), not with prism's
// exporter, so the converter is checked against the format rather than against itself.

const tmp = tempDir("peft-gguf");
const shape = {layers: 2, dim: 64, heads: 4, kvHeads: 2};
const tokens = [5, 300, 17, 99, 512, 3, 44, 200, 7, 61, 13, 550, 2, 80, 150, 9];
let llama: Llama;
beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
});
afterAll(async () => {
    await llama.dispose();
});

/** PEFT's module path for a projection: base_model.model.model.layers.{i}.self_attn.q_proj */
const peftKey = (layer: number, target: ProjectionName) => `base_model.model.model.layers.${layer}.${projections[target].hf}`;

describe("PEFT ↔ GGUF conversion keeps the logits", () => {
    for (const arch of ["llama", "qwen2"] as const)
        it(`PEFT (HF layout) → GGUF: ${arch}${arch === "llama" ? " (q/k rows permuted, rsLoRA)" : " (no permutation)"}`, async () => {
            const modelPath = await tinyModel({arch, ...shape});
            const ref = loadReferenceModel(await GgufFile.open(modelPath));
            const hf = hfLayoutModel(ref);
            const h = ref.hparams;

            // A PEFT adapter of rank 4 on every projection of layer 1, with random (not zero) B so it shows.
            const rank = 4, alpha = 8, useRslora = arch === "llama";
            const rng = new Rng(7);
            const hfModules: ReferenceLora["modules"][number][] = [];
            const tensors = new Map<string, {shape: number[], data: Float32Array}>();
            for (const target of projectionNames) {
                const {inDim, outDim} = projectionShape(h, target);
                const a = Float32Array.from({length: rank * inDim}, () => rng.normal() * 0.5 / Math.sqrt(inDim));
                const b = Float32Array.from({length: outDim * rank}, () => rng.normal() * 0.5 / Math.sqrt(rank));
                hfModules.push({layer: 1, target, a, b});
                tensors.set(`${peftKey(1, target)}.lora_A.weight`, {shape: [rank, inDim], data: a});
                tensors.set(`${peftKey(1, target)}.lora_B.weight`, {shape: [outDim, rank], data: b});
            }
            const dir = path.join(tmp, `peft-${arch}`);
            fs.mkdirSync(dir, {recursive: true});
            await writeSafetensors(path.join(dir, "adapter_model.safetensors"), tensors, {metadata: {format: "pt"}});
            fs.writeFileSync(path.join(dir, "adapter_config.json"), JSON.stringify({
                peft_type: "LORA", task_type: "CAUSAL_LM", base_model_name_or_path: `tiny/${arch}`, r: rank, lora_alpha: alpha, lora_dropout: 0.05,
                target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], layers_to_transform: [1],
                bias: "none", use_rslora: useRslora, use_dora: false, fan_in_fan_out: false, inference_mode: true, modules_to_save: null
            }));
            const peftScale = useRslora ? alpha / Math.sqrt(rank) : alpha / rank;  // PEFT's LoraLayer.scaling
            const hfLogits = referenceForward(hf, tokens, {lora: {scale: peftScale, modules: hfModules}}).logits;

            // prism converts it (the base model supplies the architecture and head counts a foreign adapter lacks).
            const converted = path.join(tmp, `converted-${arch}.gguf`);
            const {lora} = await loadAdapter(dir, {base: await readAdapterBase(modelPath)});
            await saveAdapter(converted, lora, {format: "gguf"});

            expectClose(await llamaCppLogProbRows(llama, modelPath, tokens, {lora: converted}), logSoftmaxRows(hfLogits), {rtol: 1e-5, label: `${arch}: llama.cpp + converted adapter vs PEFT reference`, report: true});
            const gguf = await readGgufLora(converted);
            expectClose(referenceForward(ref, tokens, {lora: referenceLoraOf(gguf)}).logits, hfLogits, {rtol: 1e-6, label: `${arch}: GGUF reference vs PEFT reference`});

            // Controls: the adapter changes the logits, and (for llama) skipping the q/k permutation would change them too.
            expect(compareRows(referenceForward(hf, tokens).logits, hfLogits).relative).toBeGreaterThan(1e-2);
            const unpermuted = referenceForward(ref, tokens, {lora: {scale: peftScale, modules: hfModules}}).logits;
            if (arch === "llama") expect(compareRows(unpermuted, hfLogits).relative).toBeGreaterThan(1e-2);
            else expectClose(unpermuted, hfLogits, {rtol: 1e-6, label: "qwen2 needs no permutation"});
        });

    it("GGUF → PEFT: the exported safetensors, read as PEFT would, give llama.cpp's logits with the GGUF adapter", async () => {
        const {model: modelPath, adapter} = await tinyLora({arch: "llama", ...shape}, {rank: 4});
        const base = await readAdapterBase(modelPath);
        const dir = path.join(tmp, "exported");
        await saveAdapter(dir, (await loadAdapter(adapter)).lora, {format: "peft", base});

        const config = JSON.parse(fs.readFileSync(path.join(dir, "adapter_config.json"), "utf8")) as {r: number, lora_alpha: number, use_rslora: boolean};
        const {tensors} = readSafetensors(path.join(dir, "adapter_model.safetensors"));
        const hfModules = [];
        for (let layer = 0; layer < shape.layers; layer++)
            for (const target of projectionNames)
                hfModules.push({layer, target, a: tensors.get(`${peftKey(layer, target)}.lora_A.weight`)!.data, b: tensors.get(`${peftKey(layer, target)}.lora_B.weight`)!.data});
        const peftScale = config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;
        const hf = hfLayoutModel(loadReferenceModel(await GgufFile.open(modelPath)));
        expectClose(await llamaCppLogProbRows(llama, modelPath, tokens, {lora: adapter}), logSoftmaxRows(referenceForward(hf, tokens, {lora: {scale: peftScale, modules: hfModules}}).logits),
            {rtol: 1e-5, label: "llama.cpp + GGUF adapter vs PEFT reference of the export", report: true});
    });
});
