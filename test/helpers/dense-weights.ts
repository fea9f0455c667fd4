import {GgmlContext} from "../../src/ggml/ggml-context.js";
import type {GgmlTensor} from "../../src/ggml/ggml.js";
import {projectionNames, type ProjectionName} from "../../src/model/architecture.js";
import {GgmlType} from "../../src/model/ggml-type.js";
import type {GgmlModel} from "../../src/train/ggml-model.js";
import type {LinearWeights, ModelWeights} from "../../src/train/model-weights.js";

/**
 * The model's weights with every projection dequantised to F32 (by ggml's own get_rows): the exact function a
 * quantised model's weights stand for, for finite differences that the forward's rounding of activations to the
 * weights' dot-product type (F16, Q8_0, Q8_K) would otherwise drown. Dispose `ctx` when done.
 */
export async function denseWeights(model: GgmlModel): Promise<ModelWeights> {
    const {ggml, backend, weights} = model;
    const ctx = GgmlContext.create(ggml, {maxTensors: 8 + weights.blocks.length * 8});
    const jobs: {src: LinearWeights, dst: GgmlTensor}[] = [];
    const dense = (src: LinearWeights): LinearWeights => {
        const dst = ctx.newTensor(GgmlType.F32, [src.inDim, src.outDim], `${src.name}.dense`);
        jobs.push({src, dst});
        return {...src, w: dst, type: GgmlType.F32};
    };
    const blocks = weights.blocks.map((b) => ({
        ...b, linear: Object.fromEntries(projectionNames.map((p) => [p, dense(b.linear[p])])) as Record<ProjectionName, LinearWeights>
    }));
    const output = weights.output && {norm: weights.output.norm, linear: dense(weights.output.linear)};
    const buffer = backend.allocateTensors(ctx);
    for (const {src, dst} of jobs) {
        using g = GgmlContext.create(ggml, {maxTensors: 8, maxGraphNodes: 8});
        const idx = g.markInput(g.newTensor(GgmlType.I32, [src.outDim]));
        const graph = g.newGraph(8);
        graph.expand(g.copy(g.getRows(src.w, idx), dst));
        using allocator = backend.createAllocator();
        allocator.allocate(graph);
        ggml.write(idx, Int32Array.from({length: src.outDim}, (_, i) => i));
        await backend.compute(graph);
    }
    return {...weights, blocks, output, ctx, buffer, sizeBytes: buffer.sizeBytes};
}
