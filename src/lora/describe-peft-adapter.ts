import fs from "node:fs";
import path from "node:path";
import {projectionNames, type ProjectionName} from "../model/architecture.js";
import {loraScale} from "./lora-config.js";
import {PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, peftMetadataKeys} from "./peft-adapter.js";
import {readPeftAdapterConfig} from "./peft-config.js";
import {parsePeftTensorName, peftModuleName} from "./peft-tensor-name.js";
import {readSafetensorsHeader} from "./safetensors.js";

export type PeftAdapterDescription = {
    path: string,
    kind: "peft-adapter",
    /** Recorded by prism's exporter; null for adapters from elsewhere (they do not say). */
    architecture: string | null,
    baseModelName: string | null,
    baseModelFingerprint: string | null,
    rank: number,
    /** lora_alpha as PEFT records it. */
    alpha: number,
    useRslora: boolean,
    /** The factor on B·A: alpha / rank, or alpha / √rank with rsLoRA. */
    scale: number,
    dropout: number,
    /** HF module names of the projections that have tensors. */
    targets: string[],
    layers: number[],
    sizeBytes: number,
    tensorCount: number,
    parameterCount: number,
    /** Tensor count by dtype. */
    tensorTypes: Record<string, number>,
    tensors: {name: string, type: string, shape: number[]}[]
};

/** Everything `prism info` shows about a PEFT adapter directory, from its config and safetensors header (the weights are not read). */
export function describePeftAdapter(dir: string): PeftAdapterDescription {
    const configPath = path.join(dir, PEFT_CONFIG_FILE), weightsPath = path.join(dir, PEFT_WEIGHTS_FILE);
    const {peft, config} = readPeftAdapterConfig(configPath);
    const header = readSafetensorsHeader(weightsPath);
    const tensorTypes: Record<string, number> = {};
    const targets = new Set<ProjectionName>(), layers = new Set<number>();
    for (const e of header.entries) {
        tensorTypes[e.dtype] = (tensorTypes[e.dtype] ?? 0) + 1;
        const parsed = parsePeftTensorName(e.name);
        if (parsed) {
            targets.add(parsed.target);
            layers.add(parsed.layer);
        }
    }
    return {
        path: dir,
        kind: "peft-adapter",
        architecture: header.metadata[peftMetadataKeys.arch] ?? null,
        baseModelName: peft.base_model_name_or_path ?? null,
        baseModelFingerprint: header.metadata[peftMetadataKeys.fingerprint] ?? null,
        rank: config.rank,
        alpha: config.alpha,
        useRslora: config.useRslora,
        scale: loraScale(config),
        dropout: config.dropout,
        targets: projectionNames.filter((t) => targets.has(t)).map((p) => peftModuleName(p)),
        layers: [...layers].sort((a, b) => a - b),
        sizeBytes: fs.statSync(configPath).size + header.fileSizeBytes,
        tensorCount: header.entries.length,
        parameterCount: header.entries.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0),
        tensorTypes,
        tensors: header.entries.map((e) => ({name: e.name, type: e.dtype, shape: e.shape}))
    };
}
