import fs from "node:fs";
import {ggufTargetName, isExpertTarget} from "../model/architecture.js";
import {GgmlType, ggmlTypeName} from "../model/ggml-type.js";
import {GgufFile} from "../model/gguf-file.js";
import {writeGguf, type GgufTensorToWrite} from "../model/gguf-writer.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {readModelHparams} from "../model/model-hparams.js";
import {decodeTensor, encodeTensor} from "../model/quantize.js";
import {UsageError} from "../util/prism-error.js";
import type {LoraModule, LoraWeights} from "./lora-weights.js";
import {loraWeightsScale} from "./lora-weights.js";
import {validateAdapter} from "./validate-adapter.js";

export type MergeLoraOptions = {
    /** Storage of the merged projections: `"same"` keeps each tensor's own type. Defaults to `"same"`. */
    dtype?: "same" | "f32" | "f16" | "q8_0",
    /** llama.cpp's per-context adapter scale (its `--lora-scaled`). Defaults to `1`. */
    scale?: number,
    /** Where the adapter came from, for messages. Defaults to `"adapter"`. */
    adapterPath?: string,
    /** Accept a base whose fingerprint differs from the adapter's record (the same weights in another quantization). Defaults to `false`. */
    allowOtherBase?: boolean
};

export type MergeLoraResult = {mergedTensors: number, scale: number, bytes: number, warnings: string[]};

const dtypes = {f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0} as const;

/**
 * Writes `out`: the base model with the adapter folded into its weights, W' = W + scale·B·A per adapted
 * projection, with the scale llama.cpp applies (alpha / rank × the context scale). Every other tensor and all
 * metadata are copied byte for byte; the merged ones are decoded, summed in F32 and re-encoded. The adapter must
 * fit the base (architecture, shapes, recorded fingerprint); routed-expert modules are refused.
 */
export async function mergeLora(basePath: string, lora: LoraWeights, out: string, options: MergeLoraOptions = {}): Promise<MergeLoraResult> {
    const {dtype = "same", scale: contextScale = 1, adapterPath = "adapter"} = options;
    const base = await GgufFile.open(basePath);
    if (base.fileType === "adapter") throw new InvalidModelFileError(basePath, "is a LoRA adapter, not a base model", {hint: "pass the model the adapter was made for"});
    const {warnings} = validateAdapter(lora, {path: basePath, hparams: readModelHparams(base), fingerprint: base.fingerprint}, {adapterPath, fingerprint: options.allowOtherBase ? "warn" : "error"});
    const expert = lora.modules.find((m) => isExpertTarget(m.target));
    if (expert)
        throw new UsageError(`${adapterPath}: block ${expert.layer}'s ${expert.target} LoRA adapts routed experts, which prism does not merge`, {
            hint: "apply this adapter at inference instead (--adapter), or train one without the routed expert targets"
        });
    const scale = contextScale * loraWeightsScale(lora);
    const byTensor = new Map<string, LoraModule>(lora.modules.map((m) => [`blk.${m.layer}.${ggufTargetName(lora.arch, m.target)}.weight`, m]));
    const tensors: GgufTensorToWrite[] = base.tensors.map((t) => {
        const m = byTensor.get(t.name);
        if (!m) return {name: t.name, type: t.type, shape: [...t.shape], data: base.readTensorBytes(t)};
        // GGUF ne = [C_in, C_out]: row o of W holds output o's C_in weights, as B·A's row o does.
        if (t.shape.length !== 2 || t.shape[0] !== m.inDim || t.shape[1] !== m.outDim)
            throw new InvalidModelFileError(basePath, `${t.name} has shape [${t.shape.join(", ")}], not the adapter's [${m.inDim}, ${m.outDim}]`);
        const type = dtype === "same" ? t.type : dtypes[dtype];
        let w: Float32Array;
        try {
            w = decodeTensor(base.readTensorBytes(t), t.type, m.inDim * m.outDim);
        } catch {
            throw new UsageError(`${basePath}: ${t.name} is stored as ${ggmlTypeName(t.type)}, which prism cannot decode to merge into`, {hint: "merge into an F32, F16 or Q8_0 model"});
        }
        addScaledProduct(w, m, scale);
        if (type === GgmlType.Q8_0 && m.inDim % 32 !== 0) throw new UsageError(`${t.name}: Q8_0 needs rows of a multiple of 32 values, got ${m.inDim}`, {hint: "pick --dtype f16 or f32"});
        return {name: t.name, type, shape: [...t.shape], data: encodeTensor(w, type)};
    });
    await writeGguf(out, base.metadata, tensors);
    return {mergedTensors: byTensor.size, scale, bytes: fs.statSync(out).size, warnings};
}

/** w (C_out × C_in, row-major) += scale · b (C_out × r) · a (r × C_in). */
function addScaledProduct(w: Float32Array, m: LoraModule, scale: number): void {
    const r = m.a.length / m.inDim;
    for (let o = 0; o < m.outDim; o++) {
        const row = o * m.inDim;
        for (let k = 0; k < r; k++) {
            const s = scale * m.b[o * r + k]!;
            if (s === 0) continue;
            const ak = k * m.inDim;
            for (let i = 0; i < m.inDim; i++) w[row + i]! += s * m.a[ak + i]!;
        }
    }
}
