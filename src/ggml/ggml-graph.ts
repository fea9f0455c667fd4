import type {GgmlContext} from "./ggml-context.js";
import type {Ggml, GgmlTensor} from "./ggml.js";
import type {RawGraph} from "./raw.js";

const GGML_OP_MUL_MAT = 29;
const GGML_OP_OUT_PROD = 31;

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

    /** Floating-point operations of the graph's matrix products (2·M·N·K each), the work that dominates a transformer. */
    matmulFlops(): number {
        const {raw, extras} = this.ggml;
        let flops = 0;
        for (let i = 0; i < this.nodeCount; i++) {
            const node = raw.ggml_graph_node(this.handle, i);
            const op = extras.tensorOp(node);
            if (op !== GGML_OP_MUL_MAT && op !== GGML_OP_OUT_PROD) continue;
            const [n0, n1, n2, n3] = extras.tensorNe(node);
            // mul_mat reduces over src0's rows (ne00), out_prod over src0's columns (ne01).
            const k = extras.tensorNe(extras.tensorSrc(node, 0)!)[op === GGML_OP_MUL_MAT ? 0 : 1];
            flops += 2 * k * n0 * n1 * n2 * n3;
        }
        return flops;
    }
}
