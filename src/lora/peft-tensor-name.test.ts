import {describe, expect, it} from "vitest";
import {projectionNames} from "../model/architecture.js";
import {ggufLoraTensorName} from "./gguf-lora.js";
import {parsePeftTensorName, peftModuleName, peftTensorName, projectionOfPeftModule} from "./peft-tensor-name.js";

describe("PEFT tensor names", () => {
    it("are PEFT's exact keys, and parse back to the same layer, projection and matrix", () => {
        expect(peftTensorName(3, "q", "A")).toBe("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight");
        expect(peftTensorName(0, "down", "B")).toBe("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
        expect(ggufLoraTensorName(3, "q", "a")).toBe("blk.3.attn_q.weight.lora_a");
        for (const target of projectionNames)
            for (const which of ["A", "B"] as const) {
                expect(parsePeftTensorName(peftTensorName(11, target, which))).toEqual({layer: 11, target, which});
                expect(projectionOfPeftModule(peftModuleName(target))).toBe(target);
            }
        expect(projectionNames.map((p) => peftModuleName(p))).toEqual(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]);
    });

    it("name a mixture of experts' MLP projections after its shared expert, in GGUF, PEFT tensors and target_modules", () => {
        expect(ggufLoraTensorName(2, "gate", "a", "qwen2moe")).toBe("blk.2.ffn_gate_shexp.weight.lora_a");
        expect(ggufLoraTensorName(2, "q", "b", "qwen2moe")).toBe("blk.2.attn_q.weight.lora_b");
        expect(peftTensorName(2, "down", "B", "qwen2moe")).toBe("base_model.model.model.layers.2.mlp.shared_expert.down_proj.lora_B.weight");
        expect(peftModuleName("up", "qwen2moe")).toBe("shared_expert.up_proj");
        expect(peftModuleName("k", "qwen2moe")).toBe("k_proj");
        for (const target of projectionNames)
            for (const which of ["A", "B"] as const) {
                expect(parsePeftTensorName(peftTensorName(4, target, which, "qwen2moe"))).toEqual({layer: 4, target, which});
                expect(projectionOfPeftModule(peftModuleName(target, "qwen2moe"))).toBe(target);
            }
        // A routed expert's projection is not one prism adapts.
        expect(parsePeftTensorName("base_model.model.model.layers.0.mlp.experts.3.gate_proj.lora_A.weight")).toBeUndefined();
    });

    it("reject what is not a LoRA matrix of a known projection", () => {
        for (const name of [
            "base_model.model.model.embed_tokens.lora_embedding_A", "base_model.model.lm_head.lora_A.weight",
            "base_model.model.model.layers.0.self_attn.q_proj.lora_B.bias", "base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight",
            "base_model.model.model.layers.0.mlp.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_A.weight"
        ]) expect(parsePeftTensorName(name)).toBeUndefined();
        expect(projectionOfPeftModule("lm_head")).toBeUndefined();
    });
});
