import type {GgmlBackend} from "../ggml/ggml-backend.js";
import {ResourceError} from "../util/prism-error.js";
import {GgmlContext} from "../ggml/ggml-context.js";
import type {GgmlGraphAllocator} from "../ggml/ggml-graph-allocator.js";
import type {GgmlGraph} from "../ggml/ggml-graph.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";

export type GraphParts<I extends string, O extends string> = {
    inputs: Record<I, GgmlTensor>,
    outputs: Record<O, GgmlTensor>,
    /** Ops with side effects the outputs do not depend on (gradient accumulation, optimiser steps). */
    effects?: GgmlTensor[]
};

/**
 * A graph built once for one batch shape and run many times: inputs are written, the graph computed, outputs read.
 * Graphs of different shapes share an allocator, so running one re-places its tensors in the shared buffer.
 */
export class CompiledGraph<I extends string, O extends string> {
    private constructor(
        private readonly ggml: Ggml,
        private readonly backend: GgmlBackend,
        private readonly allocator: GgmlGraphAllocator,
        private readonly ctx: GgmlContext,
        readonly graph: GgmlGraph,
        readonly inputs: Record<I, GgmlTensor>,
        readonly outputs: Record<O, GgmlTensor>
    ) {}

    static build<I extends string, O extends string>(ggml: Ggml, backend: GgmlBackend, allocator: GgmlGraphAllocator, maxNodes: number,
        build: (ctx: GgmlContext) => GraphParts<I, O>): CompiledGraph<I, O> {
        const ctx = GgmlContext.create(ggml, {maxTensors: 2 * maxNodes + 64, maxGraphNodes: maxNodes});
        try {
            const parts = build(ctx);
            for (const t of Object.values<GgmlTensor>(parts.inputs)) ctx.markInput(t);
            for (const t of Object.values<GgmlTensor>(parts.outputs)) ctx.markOutput(t);
            const graph = ctx.newGraph(maxNodes);
            for (const t of parts.effects ?? []) graph.expand(t);
            for (const t of Object.values<GgmlTensor>(parts.outputs)) graph.expand(t);
            if (!backend.isCpu) {
                const unsupported = backend.unsupportedOps(graph);
                if (unsupported.length > 0)
                    throw new ResourceError("E_UNSUPPORTED_OP", `${backend.device.description} cannot run ${unsupported.length} operation(s) prism's graph needs: ${[...new Set(unsupported)].slice(0, 5).join(", ")}`, {
                        hint: "use --device cpu"
                    });
            }
            return new CompiledGraph(ggml, backend, allocator, ctx, graph, parts.inputs, parts.outputs);
        } catch (err) {
            ctx.dispose();
            throw err;
        }
    }

    /** Writes every declared input (all are required), computes, and leaves the outputs readable. */
    async run(inputs: Partial<Record<I, ArrayBufferView>>): Promise<void> {
        this.bind(inputs);
        await this.backend.compute(this.graph);
    }

    /** Places the graph in the allocator's buffer and writes every declared input; the caller then computes `graph`. */
    bind(inputs: Partial<Record<I, ArrayBufferView>>): void {
        this.allocator.allocate(this.graph);
        for (const [name, tensor] of Object.entries<GgmlTensor>(this.inputs)) {
            const data = inputs[name as I];
            if (!data || data.byteLength !== this.ggml.nbytes(tensor))
                throw new Error(`internal: graph input ${name} needs ${this.ggml.nbytes(tensor)} bytes, got ${data?.byteLength ?? "none"}`);
            this.ggml.write(tensor, data);
        }
    }

    read(name: O): Float32Array {
        return this.ggml.readFloat32(this.outputs[name]);
    }

    readInt32(name: O): Int32Array {
        const t = this.outputs[name];
        return this.ggml.read(t, new Int32Array(this.ggml.nbytes(t) / 4));
    }

    get disposed(): boolean {
        return this.ctx.disposed;
    }

    dispose(): void {
        this.ctx.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }
}

/** Compiled graphs by batch shape; past `capacity` the least recently used one is disposed. */
export class CompiledGraphCache<I extends string, O extends string> {
    private readonly graphs = new Map<string, CompiledGraph<I, O>>();

    constructor(private readonly capacity: number) {}

    get(key: string, build: () => CompiledGraph<I, O>): CompiledGraph<I, O> {
        const cached = this.graphs.get(key);
        if (cached) {
            this.graphs.delete(key);
            this.graphs.set(key, cached); // most recently used last
            return cached;
        }
        if (this.graphs.size >= this.capacity) {
            const [oldestKey, oldest] = this.graphs.entries().next().value!;
            this.graphs.delete(oldestKey);
            oldest.dispose();
        }
        const graph = build();
        this.graphs.set(key, graph);
        return graph;
    }

    dispose(): void {
        for (const g of this.graphs.values()) g.dispose();
        this.graphs.clear();
    }
}
