import {projectionNames, type ProjectionName} from "../model/architecture.js";
import {GgufFile} from "../model/gguf-file.js";
import {projectionShape, readModelHparams} from "../model/model-hparams.js";
import {UsageError} from "../util/prism-error.js";
import {Rng} from "../util/rng.js";
import {writeGgufLora} from "./gguf-lora.js";
import type {LoraModule, LoraWeights} from "./lora-weights.js";

export type TinyLoraOptions = {
    /** Defaults to `4`. */
    rank?: number,
    /** Defaults to `2 * rank`. */
    alpha?: number,
    /** Defaults to all seven projections. */
    targets?: ProjectionName[],
    /** Defaults to every layer. */
    layers?: number[],
    /** Defaults to `1`. */
    seed?: number,
    /** Standard deviation of the random A and B entries. Defaults to `0.5`. */
    std?: number
};

/**
 * A random adapter for a model: unlike a freshly initialised one (B = 0), it changes the output, so tests can see it.
 */
export async function makeTinyLora(modelPath: string, outPath: string, options: TinyLoraOptions = {}): Promise<LoraWeights> {
    const file = await GgufFile.open(modelPath);
    const h = readModelHparams(file);
    const rank = options.rank ?? 4;
    if (!Number.isInteger(rank) || rank < 1) throw new UsageError(`tiny-lora: --rank must be a positive integer, got ${rank}`);
    const targets = options.targets ?? projectionNames;
    const layers = options.layers ?? Array.from({length: h.nLayer}, (_, i) => i);
    const rng = new Rng(options.seed ?? 1);
    const std = options.std ?? 0.5;
    const modules: LoraModule[] = [];
    for (const layer of layers)
        for (const target of targets) {
            const {inDim, outDim} = projectionShape(h, target);
            if (rank > Math.min(inDim, outDim)) throw new UsageError(`tiny-lora: rank ${rank} is larger than ${target}'s dimensions (${inDim}×${outDim})`);
            const rand = (n: number, s: number) => Float32Array.from({length: n}, () => rng.normal() * s);
            modules.push({layer, target, inDim, outDim, a: rand(rank * inDim, std / Math.sqrt(inDim)), b: rand(outDim * rank, std / Math.sqrt(rank))});
        }
    const lora: LoraWeights = {arch: h.arch.name, rank, alpha: options.alpha ?? 2 * rank, modules, baseModelFingerprint: file.fingerprint};
    await writeGgufLora(outPath, lora, {name: "prism-tiny-lora", type: "f32"}); // exact values: tests compare it with references
    return lora;
}
