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
        expect(projectionNames.map(peftModuleName)).toEqual(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]);
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
