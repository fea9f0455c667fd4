import type {GgufFile} from "./gguf-file.js";
import {elementCount} from "./ggml-type.js";
import {readModelHparams, type ModelHparams} from "./model-hparams.js";
import {permuteQkRows} from "./qk-permutation.js";
import {decodeTensor} from "./quantize.js";

/**
 * A llama-family model held as plain F32 arrays, for the reference forward. Tensors keep their GGUF names and
 * llama.cpp's layout: a matrix with ne [C_in, C_out] is row-major (C_out, C_in).
 */
export type ReferenceModel = {
    hparams: ModelHparams,
    /**
     * How rope pairs the dimensions of a head: "norm" rotates adjacent pairs (2i, 2i+1), "neox" the two halves
     * (i, i + d/2), as HF's rotate_half does. Goes with the q/k row layout the weights are in.
     */
    ropeType: "norm" | "neox",
    tensors: ReadonlyMap<string, Float32Array>
};

/** Decodes every tensor of a GGUF model (F32, F16 or Q8_0) into memory. Meant for tiny models: it holds all of it in F32. */
export function loadReferenceModel(file: GgufFile): ReferenceModel {
    const hparams = readModelHparams(file);
    const tensors = new Map<string, Float32Array>();
    for (const t of file.tensors) tensors.set(t.name, decodeTensor(file.readTensorBytes(t), t.type, elementCount(t.shape)));
    return {hparams, ropeType: hparams.arch.ropeType, tensors};
}

/**
 * The same model as its Hugging Face checkpoint holds it: for architectures whose converter permuted q and k
 * (llama), their rows (and biases) go back to HF's rotate-half order and rope becomes "neox". The forward gives the
 * same logits in both layouts; that identity is what lets tests compute "what PEFT sees" in plain TypeScript.
 */
export function hfLayoutModel(model: ReferenceModel): ReferenceModel {
    const h = model.hparams;
    if (!h.arch.permutesQK) return model;
    const tensors = new Map(model.tensors);
    for (let l = 0; l < h.nLayer; l++)
        for (const [name, heads] of [["attn_q", h.nHead], ["attn_k", h.nHeadKv]] as const) {
            const weight = model.tensors.get(`blk.${l}.${name}.weight`);
            if (weight) tensors.set(`blk.${l}.${name}.weight`, permuteQkRows(weight, heads, weight.length / (heads * h.headDim), "hf"));
            const bias = model.tensors.get(`blk.${l}.${name}.bias`);
            if (bias) tensors.set(`blk.${l}.${name}.bias`, permuteQkRows(bias, heads, 1, "hf"));
        }
    return {hparams: h, ropeType: "neox", tensors};
}
