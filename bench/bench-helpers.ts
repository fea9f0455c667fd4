import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {GgmlBackend} from "../src/ggml/ggml-backend.js";
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

/** ggml's F32 matrix-product rate (GFLOP/s) for W (k × n) · X (k × m), on the CPU backend with `threads`. */
export async function matmulRate(k: number, n: number, m: number, threads: number, seconds = 1): Promise<number> {
    const ggml = await Ggml.load({gpu: false});
    using backend = GgmlBackend.create(ggml, {device: "cpu", threads});
    using ctx = GgmlContext.create(ggml, {maxTensors: 4, maxGraphNodes: 4});
    const w = ctx.newTensor(GgmlType.F32, [k, n]), x = ctx.newTensor(GgmlType.F32, [k, m]);
    const graph = ctx.newGraph(4);
    graph.expand(ctx.mulMat(w, x));
    using buffer = backend.allocateTensors(ctx);
    ggml.write(w, Float32Array.from({length: k * n}, (_, i) => Math.sin(i)));
    ggml.write(x, Float32Array.from({length: k * m}, (_, i) => Math.cos(i)));
    backend.computeSync(graph);
    let reps = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
        backend.computeSync(graph);
        reps++;
    }
    expectAlive(buffer);
    return (2 * k * n * m * reps) / ((performance.now() - started) / 1000) / 1e9;
}

function expectAlive(buffer: {disposed: boolean}): void {
    if (buffer.disposed) throw new Error("buffer disposed early");
}

export function printLast(json: boolean, human: string[], record: Record<string, unknown>): void {
    for (const line of human) console.log(line);
    if (json) console.log(JSON.stringify(record));
}
