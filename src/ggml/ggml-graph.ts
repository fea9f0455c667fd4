import type {GgmlContext} from "./ggml-context.js";
import type {Ggml, GgmlTensor} from "./ggml.js";
import type {RawGraph} from "./raw.js";

/** A computation graph; its memory belongs to the GgmlContext that created it. */
export class GgmlGraph {
    /** @internal created by GgmlContext.newGraph */
    constructor(private readonly ggml: Ggml, readonly handle: RawGraph, readonly maxNodes: number, readonly ctx: GgmlContext) {}

    /** Adds `t` and everything it depends on. */
    expand(t: GgmlTensor): void {
        this.ggml.raw.ggml_build_forward_expand(this.handle, t);
    }

    get nodeCount(): number {
        return this.ggml.raw.ggml_graph_n_nodes(this.handle);
    }
}
