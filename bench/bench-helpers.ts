import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {GgmlBackend, ggmlBuildFor, type GgmlDeviceChoice} from "../src/ggml/ggml-backend.js";
import {GgmlContext} from "../src/ggml/ggml-context.js";
import {Ggml} from "../src/ggml/ggml.js";
import {GgmlType} from "../src/model/ggml-type.js";
import {makeTinyModel, type TinyModelOptions} from "../src/model/tiny-model.js";

export const BENCH_CACHE = path.resolve(import.meta.dirname, "../.cache/bench");

/** A tiny model made once and kept under .cache/bench. */
export async function benchModel(name: string, options: TinyModelOptions): Promise<string> {
    const file = path.join(BENCH_CACHE, `${name}.gguf`);
    if (!fs.existsSync(file)) await makeTinyModel(file, options);
    return file;
}

export const benchThreads = () => Number(process.env.PRISM_BENCH_THREADS ?? 0) || Math.max(1, os.availableParallelism());

/**
 * ggml's plain F32 matrix product W (k × n) · X (k × m) on `device` (the CPU backend by default) with `threads`,
 * ready to be timed in bursts between other work, so that both see the same load from the rest of the machine.
 */
export async function createMatmulProbe(k: number, n: number, m: number, threads: number, device: GgmlDeviceChoice = "cpu"): Promise<{burst(ms: number): {flops: number, ms: number}, dispose(): void}> {
    const ggml = await Ggml.load({gpu: ggmlBuildFor(device)});
    const backend = GgmlBackend.create(ggml, {device, threads});
    const ctx = GgmlContext.create(ggml, {maxTensors: 4, maxGraphNodes: 4});
    const w = ctx.newTensor(GgmlType.F32, [k, n]), x = ctx.newTensor(GgmlType.F32, [k, m]);
    const graph = ctx.newGraph(4);
    graph.expand(ctx.mulMat(w, x));
    const buffer = backend.allocateTensors(ctx);
    ggml.write(w, Float32Array.from({length: k * n}, (_, i) => Math.sin(i)));
    ggml.write(x, Float32Array.from({length: k * m}, (_, i) => Math.cos(i)));
    backend.computeSync(graph);
    return {
        burst(ms) {
            let reps = 0;
            const started = performance.now();
            while (performance.now() - started < ms) {
                backend.computeSync(graph);
                reps++;
            }
            return {flops: 2 * k * n * m * reps, ms: performance.now() - started};
        },
        dispose() {
            buffer.dispose();
            ctx.dispose();
            backend.dispose();
        }
    };
}

export function printLast(json: boolean, human: string[], record: Record<string, unknown>): void {
    for (const line of human) console.log(line);
    if (json) console.log(JSON.stringify(record));
}
