import fs from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {GgmlType, ggmlTypeLayout} from "../src/model/ggml-type.js";
import {checkGgmlAbi, GGML_ABI, GgmlAbiError} from "../src/ggml/ggml-abi.js";
import {GgmlBackend, ggmlBuildFor} from "../src/ggml/ggml-backend.js";
import {GgmlContext} from "../src/ggml/ggml-context.js";
import {Ggml} from "../src/ggml/ggml.js";

let ggml: Ggml;
let backend: GgmlBackend;
beforeAll(async () => {
    ggml = await Ggml.load({gpu: false});
    backend = GgmlBackend.create(ggml, {device: "cpu", threads: 1});
});
afterAll(() => backend.dispose());

describe("the ggml binding matches the loaded library", () => {
    it("runs on the node-llama-cpp version pinned in package.json", () => {
        const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../package.json"), "utf8")) as {dependencies: Record<string, string>};
        const entry = createRequire(import.meta.url).resolve("node-llama-cpp");
        const installed = JSON.parse(fs.readFileSync(path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)), "package.json"), "utf8")) as {version: string};
        expect(pkg.dependencies["node-llama-cpp"]).toBe(GGML_ABI.nodeLlamaCppVersion);
        expect(installed.version).toBe(GGML_ABI.nodeLlamaCppVersion);
    });

    it("loads node-llama-cpp's own copies of libggml", () => {
        const maps = fs.readFileSync("/proc/self/maps", "utf8");
        expect(maps).toContain(ggml.libraries.base);
        expect(maps).toContain(ggml.libraries.registry);
        expect(ggml.libraries.base).toContain("node-llama-cpp");
    });

    it("agrees on the version, struct sizes, type sizes and enum names", () => {
        expect(() => checkGgmlAbi({raw: ggml.raw, extras: ggml.extras})).not.toThrow();
        for (const [name, type] of Object.entries(GgmlType)) {
            if (typeof type !== "number") continue;
            const {blockSize, typeSize} = ggmlTypeLayout(type);
            expect({name, size: ggml.typeSizeBytes(type), block: ggml.blockSize(type)}).toEqual({name, size: typeSize, block: blockSize});
        }
    });

    it("fails loudly on a library that differs", () => {
        const wrong = {...ggml.raw, ggml_version: () => "0.0.1"};
        expect(() => checkGgmlAbi({raw: wrong, extras: ggml.extras})).toThrow(GgmlAbiError);
        const smaller = {...ggml.extras, tensorStructSize: GGML_ABI.tensorStructBytes - 8};
        expect(() => checkGgmlAbi({raw: ggml.raw, extras: smaller})).toThrow(/sizeof\(struct ggml_tensor\)/);
    });

    it("reads tensor fields through the struct layout", () => {
        using ctx = GgmlContext.create(ggml, {maxTensors: 4});
        const t = ctx.newTensor(GgmlType.F16, [6, 5, 4], "probe");
        expect(ggml.shape(t)).toEqual([6, 5, 4, 1]);
        expect(ggml.strides(t)).toEqual([2, 12, 60, 240]);
        expect(ggml.typeOf(t)).toBe(GgmlType.F16);
        expect(ggml.nameOf(t)).toBe("probe");
        expect(ggml.nbytes(t)).toBe(240);
    });

    it("computes a known matrix product and softmax on the backend", async () => {
        using ctx = GgmlContext.create(ggml, {maxTensors: 8, maxGraphNodes: 8});
        const a = ctx.newTensor(GgmlType.F32, [3, 2]);
        const b = ctx.newTensor(GgmlType.F32, [3, 2]);
        const product = ctx.mulMat(a, b);
        const soft = ctx.softMax(product, null, 1);
        const graph = ctx.newGraph(8);
        graph.expand(soft);
        using buffer = backend.allocateTensors(ctx);
        ggml.write(a, Float32Array.of(1, 2, 3, 4, 5, 6));
        ggml.write(b, Float32Array.of(1, 0, 1, 0, 1, 0));
        await backend.compute(graph);
        // product[m, n] = Σ_k a[k, m]·b[k, n]: rows of a are (1,2,3) and (4,5,6).
        expect(Array.from(ggml.readFloat32(product))).toEqual([4, 10, 2, 5]);
        const s = ggml.readFloat32(soft);
        expect(s[0]).toBeCloseTo(1 / (1 + Math.exp(6)), 6);
        expect(s[2]! + s[3]!).toBeCloseTo(1, 6);
        expect(buffer.sizeBytes).toBeGreaterThan(0);
        expect(graph.matmulFlops()).toBe(2 * 3 * 2 * 2);
        expect(backend.unsupportedOps(graph)).toEqual([]);
    });

    it("disposes children with their parent and refuses use after dispose", () => {
        const b = GgmlBackend.create(ggml, {device: "cpu", threads: 1});
        const allocator = b.createAllocator();
        b.dispose();
        expect(allocator.disposed).toBe(true);
        b.dispose();
        expect(() => b.setThreads(2)).toThrow(/used after dispose/);
    });
});

describe("device choice (--device auto|cpu|cuda|vulkan)", () => {
    it("loads the build each choice needs, and auto runs graphs on a GPU when one is there, else on the CPU", () => {
        expect([ggmlBuildFor("cpu"), ggmlBuildFor("auto"), ggmlBuildFor("gpu"), ggmlBuildFor("cuda"), ggmlBuildFor("vulkan")]).toEqual([false, "auto", "auto", "cuda", "vulkan"]);
        const hasGpu = ggml.devices().some((d) => d.kind === "gpu" || d.kind === "igpu");
        const auto = GgmlBackend.create(ggml, {device: "auto", threads: 1});
        try {
            expect(auto.isCpu).toBe(!hasGpu);
        } finally {
            auto.dispose();
        }
    });

    it("asking for a backend the loaded ggml lacks names it, the package it comes in, and what it needs", () => {
        for (const device of ["cuda", "vulkan"] as const) {
            if (ggml.devices().some((d) => d.name.toLowerCase().startsWith(device))) continue;
            let error: unknown;
            try {
                GgmlBackend.create(ggml, {device});
            } catch (err) {
                error = err;
            }
            expect(error).toMatchObject({code: "E_NO_DEVICE", kind: "resource", details: {backend: device, package: `@node-llama-cpp/${process.platform}-${process.arch}-${device}`}});
            expect((error as Error).message).toMatch(new RegExp(`the ${device === "cuda" ? "CUDA" : "Vulkan"} backend is not available.*backends available: cpu`));
            expect((error as {hint: string}).hint).toMatch(device === "cuda" ? /NVIDIA GPU with its driver/ : /Vulkan driver/);
        }
    });
});

/** A graph computing (a + 1)·2 over n floats. */
function affineGraph(n: number) {
    const ctx = GgmlContext.create(ggml, {maxTensors: 8, maxGraphNodes: 8});
    const a = ctx.markInput(ctx.newTensor(GgmlType.F32, [n]));
    const out = ctx.markOutput(ctx.scale(ctx.scaleBias(a, 1, 1), 2));
    const graph = ctx.newGraph(8);
    graph.expand(out);
    return {ctx, graph, a, out};
}

describe("graph allocator", () => {
    it("re-places a graph run again after a larger graph made it grow its buffer", async () => {
        using allocator = backend.createAllocator();
        const small = affineGraph(16), large = affineGraph(1 << 20);
        const run = async (g: ReturnType<typeof affineGraph>, n: number) => {
            allocator.allocate(g.graph);
            ggml.write(g.a, Float32Array.from({length: n}, (_, i) => i));
            await backend.compute(g.graph);
            return ggml.readFloat32(g.out);
        };
        expect(Array.from((await run(small, 16)).slice(0, 3))).toEqual([2, 4, 6]);
        expect((await run(large, 1 << 20))[1000]).toBe(2002);
        expect(allocator.bufferSizeBytes).toBeGreaterThanOrEqual(4 << 20);
        // Growing freed the buffer the small graph's tensors pointed into: running it again must re-place them in
        // the allocator's current buffer (ggml's allocator alone keeps any tensor that already has memory).
        expect(Array.from((await run(small, 16)).slice(0, 3))).toEqual([2, 4, 6]);
        const distance = ggml.extras.tensorDataAddress(small.out) - ggml.extras.tensorDataAddress(large.a);
        expect(distance >= 0n && distance < BigInt(allocator.bufferSizeBytes)).toBe(true);
        small.ctx.dispose();
        large.ctx.dispose();
    });
});
