import {ggufTargetName, loraTargetNames, loraTargetOfName, type LoraTargetName} from "../model/architecture.js";
import {GgmlType} from "../model/ggml-type.js";
import {GgufFile} from "../model/gguf-file.js";
import {gguf, type GgufMetadata} from "../model/gguf-value.js";
import {writeGguf, type GgufTensorToWrite} from "../model/gguf-writer.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {decodeTensor, encodeTensor} from "../model/quantize.js";
import type {LoraModule, LoraWeights} from "./lora-weights.js";

/** GGUF tensor name of one LoRA matrix: blk.{i}.attn_q.weight.lora_a (blk.{i}.ffn_gate_shexp.weight.lora_a for qwen2moe's gate, blk.{i}.ffn_gate_exps.weight.lora_a for its routed experts). */
export function ggufLoraTensorName(layer: number, target: LoraTargetName, which: "a" | "b", arch = "llama"): string {
    return `blk.${layer}.${ggufTargetName(arch, target)}.weight.lora_${which}`;
}

export type WriteGgufLoraOptions = {
    /** general.name. Defaults to `"prism-lora"`. */
    name?: string,
    /** Storage type of the matrices: F16 halves the file (the paper's 1-2% of the model); F32 is lossless. Defaults to `"f16"`. */
    type?: "f32" | "f16"
};

/** Writes an adapter in llama.cpp's GGUF LoRA format (general.type = adapter, adapter.type = lora). */
export async function writeGgufLora(filePath: string, lora: LoraWeights, options: WriteGgufLoraOptions = {}): Promise<void> {
    if (!(lora.alpha > 0)) throw new Error("LoRA alpha must be positive: llama.cpp drops the alpha/rank factor when alpha is 0");
    const metadata: GgufMetadata = {
        "general.architecture": gguf.str(lora.arch),
        "general.type": gguf.str("adapter"),
        "general.name": gguf.str(options.name ?? "prism-lora"),
        "adapter.type": gguf.str("lora"),
        "adapter.lora.alpha": gguf.f32(lora.alpha),
        "prism.lora.rank": gguf.u32(lora.rank),
        ...(lora.baseModelFingerprint ? {"prism.base_model.fingerprint": gguf.str(lora.baseModelFingerprint)} : {})
    };
    const type = options.type === "f32" ? GgmlType.F32 : GgmlType.F16;
    const tensors: GgufTensorToWrite[] = [];
    for (const m of lora.modules) {
        // A routed expert tensor's pairs are 3-D, ne [C_in, r, E] and [r, C_out, E], as build_lora_mm_id multiplies them.
        const experts = m.nExpert !== undefined ? [m.nExpert] : [];
        tensors.push({name: ggufLoraTensorName(m.layer, m.target, "a", lora.arch), type, shape: [m.inDim, lora.rank, ...experts], data: encodeTensor(m.a, type)});
        tensors.push({name: ggufLoraTensorName(m.layer, m.target, "b", lora.arch), type, shape: [lora.rank, m.outDim, ...experts], data: encodeTensor(m.b, type)});
    }
    await writeGguf(filePath, metadata, tensors);
}

const tensorNamePattern = /^blk\.(\d+)\.([a-z_]+)\.weight\.lora_(a|b)$/;

/** Reads a GGUF LoRA adapter (F32, F16 or Q8_0 matrices) into memory. */
export async function readGgufLora(filePath: string): Promise<LoraWeights> {
    const file = await GgufFile.open(filePath);
    if (file.fileType !== "adapter" || file.get("adapter.type") !== "lora")
        throw new InvalidModelFileError(filePath, "not a LoRA adapter (general.type must be \"adapter\" and adapter.type \"lora\")", {
            hint: "pass a model with --model and an adapter with --adapter"
        });
    const pairs = new Map<string, {layer: number, target: LoraTargetName, a?: {shape: number[], data: Float32Array}, b?: {shape: number[], data: Float32Array}}>();
    for (const t of file.tensors) {
        const m = tensorNamePattern.exec(t.name);
        const target = m ? loraTargetOfName(m[2]!) : undefined;
        if (!m || !target) throw new InvalidModelFileError(filePath, `unexpected tensor ${t.name} in a LoRA adapter`);
        const key = `${m[1]}.${target}`;
        const entry = pairs.get(key) ?? {layer: Number(m[1]), target};
        entry[m[3] as "a" | "b"] = {shape: t.shape, data: decodeTensor(file.readTensorBytes(t), t.type, t.shape.reduce((n, d) => n * d, 1))};
        pairs.set(key, entry);
    }
    let rank = 0;
    const modules: LoraModule[] = [];
    for (const [key, p] of pairs) {
        if (!p.a || !p.b) throw new InvalidModelFileError(filePath, `LoRA pair ${key} is missing its lora_${p.a ? "b" : "a"} tensor`);
        const r = p.a.shape[1]!;
        if (p.b.shape[0] !== r) throw new InvalidModelFileError(filePath, `LoRA pair ${key}: lora_a rank ${r} but lora_b rank ${p.b.shape[0]}`);
        rank = Math.max(rank, r);
        const experts = p.a.shape[2];
        if (experts !== p.b.shape[2]) throw new InvalidModelFileError(filePath, `LoRA pair ${key}: lora_a has ${experts ?? 1} expert(s) but lora_b ${p.b.shape[2] ?? 1}`);
        modules.push({layer: p.layer, target: p.target, inDim: p.a.shape[0]!, outDim: p.b.shape[1]!, ...(experts !== undefined ? {nExpert: experts} : {}), a: p.a.data, b: p.b.data});
    }
    modules.sort((x, y) => x.layer - y.layer || loraTargetNames.indexOf(x.target) - loraTargetNames.indexOf(y.target));
    const alpha = file.get<number>("adapter.lora.alpha") ?? 0;
    return {arch: file.architecture ?? "unknown", rank, alpha: alpha > 0 ? alpha : rank, modules, baseModelFingerprint: file.get<string>("prism.base_model.fingerprint")};
}
