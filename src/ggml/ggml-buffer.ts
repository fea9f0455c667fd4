import type {Ggml} from "./ggml.js";
import {NativeResource} from "./native-resource.js";
import type {RawBuffer} from "./raw.js";

/** Backend memory holding a context's tensors (weights, parameters, optimiser state). */
export class GgmlBuffer extends NativeResource {
    /** @internal created by GgmlBackend.allocateTensors */
    constructor(private readonly ggml: Ggml, readonly handle: RawBuffer, parent: NativeResource) {
        super("ggml backend buffer", parent);
    }

    get sizeBytes(): number {
        this.ensureAlive();
        return this.ggml.raw.ggml_backend_buffer_get_size(this.handle);
    }

    /** Sets every byte (0 zeroes every float tensor in it). */
    clear(byte = 0): void {
        this.ensureAlive();
        this.ggml.raw.ggml_backend_buffer_clear(this.handle, byte);
    }

    protected free(): void {
        this.ggml.raw.ggml_backend_buffer_free(this.handle);
    }
}
