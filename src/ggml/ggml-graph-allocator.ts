import {ResourceError} from "../util/prism-error.js";
import type {GgmlGraph} from "./ggml-graph.js";
import type {Ggml} from "./ggml.js";
import {NativeResource} from "./native-resource.js";
import type {RawGallocr} from "./raw.js";

/**
 * Places a graph's intermediate tensors in one backend buffer, reusing memory of tensors no longer needed. The buffer
 * grows to the largest graph it has seen and is kept, so a graph of the same shape allocates nothing new.
 */
export class GgmlGraphAllocator extends NativeResource {
    /** @internal created by GgmlBackend.createAllocator */
    constructor(private readonly ggml: Ggml, private readonly handle: RawGallocr, parent: NativeResource) {
        super("ggml graph allocator", parent);
    }

    private current?: WeakRef<GgmlGraph>;

    /**
     * Places the graph's tensors (a no-op when this graph was the last one placed: its addresses still hold). The
     * graph's context must hold only tensors this allocator places (persistent tensors live in other contexts).
     */
    allocate(graph: GgmlGraph): void {
        this.ensureAlive();
        if (this.current?.deref() === graph) return;
        this.current = undefined;
        graph.ctx.clearPlacements();
        if (!this.ggml.raw.ggml_gallocr_alloc_graph(this.handle, graph.handle))
            throw new ResourceError("E_GGML_ALLOC", `could not allocate ${graph.nodeCount} graph nodes on the backend`, {
                hint: "use a shorter --max-len or a smaller --batch, or free memory"
            });
        this.current = new WeakRef(graph);
    }

    get bufferSizeBytes(): number {
        this.ensureAlive();
        return this.ggml.raw.ggml_gallocr_get_buffer_size(this.handle, 0);
    }

    protected free(): void {
        this.ggml.raw.ggml_gallocr_free(this.handle);
    }
}
