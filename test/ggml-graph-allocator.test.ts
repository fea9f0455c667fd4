import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {GgmlType} from "../src/model/ggml-type.js";
import {GgmlBackend} from "../src/ggml/ggml-backend.js";
import {GgmlContext} from "../src/ggml/ggml-context.js";
import {Ggml} from "../src/ggml/ggml.js";

let ggml: Ggml;
let backend: GgmlBackend;
beforeAll(async () => {
    ggml = await Ggml.load({gpu: false});
    backend = GgmlBackend.create(ggml, {device: "cpu", threads: 1});
});
afterAll(() => backend.dispose());

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
