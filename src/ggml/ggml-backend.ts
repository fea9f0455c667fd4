import os from "node:os";
import {ResourceError, UsageError} from "../util/prism-error.js";
import {GgmlBuffer} from "./ggml-buffer.js";
import type {GgmlContext} from "./ggml-context.js";
import {GgmlGraphAllocator} from "./ggml-graph-allocator.js";
import type {GgmlGraph} from "./ggml-graph.js";
import type {Ggml, GgmlDevice} from "./ggml.js";
import {gpuBackendError, type GpuBackendKind} from "./ggml-libraries.js";
import {NativeResource} from "./native-resource.js";
import type {RawBackend, RawFnPointer} from "./raw.js";

export type GgmlBackendOptions = {
    /**
     * `"auto"` takes the first GPU ggml knows and falls back to the CPU; `"cuda"` and `"vulkan"` that backend (an
     * error naming what is missing when node-llama-cpp's build of it cannot load here); `"gpu"` any GPU. Defaults to `"auto"`.
     */
    device?: GgmlDeviceChoice,
    /** CPU threads for graph computation; `"auto"` uses the available cores. Defaults to `"auto"`. */
    threads?: "auto" | number
};

export type GgmlDeviceChoice = "auto" | "cpu" | "gpu" | GpuBackendKind;

/** The node-llama-cpp build a device choice needs loaded (Ggml.load's `gpu`). */
export function ggmlBuildFor(device: GgmlDeviceChoice = "auto"): "auto" | false | GpuBackendKind {
    return device === "cpu" ? false : device === "gpu" ? "auto" : device;
}

/** One ggml compute backend (CPU, CUDA, Vulkan, Metal) on one device: it allocates tensors and runs graphs. */
export class GgmlBackend extends NativeResource {
    private readonly setNThreads: RawFnPointer | null;
    private threadCount = 0;

    private constructor(private readonly ggml: Ggml, readonly handle: RawBackend, readonly device: GgmlDevice, setNThreads: RawFnPointer | null) {
        super(`ggml backend ${device.name}`);
        this.setNThreads = setNThreads;
    }

    static create(ggml: Ggml, options: GgmlBackendOptions = {}): GgmlBackend {
        const want = options.device ?? "auto";
        const devices = ggml.devices();
        if (want === "cuda" || want === "vulkan") {
            // ggml names its devices CUDA0, Vulkan0, …
            if (!devices.some((d) => d.name.toLowerCase().startsWith(want)))
                throw gpuBackendError(want, `the ggml loaded in this process has ${devices.map((d) => d.name).join(", ") || "no device"}`, ["cpu"]);
        }
        const gpu = want === "cuda" || want === "vulkan"
            ? devices.find((d) => d.name.toLowerCase().startsWith(want))
            : devices.find((d) => d.kind === "gpu" || d.kind === "igpu");
        const cpu = devices.find((d) => d.kind === "cpu");
        const device = want === "cpu" ? cpu : want === "auto" ? gpu ?? cpu : gpu;
        if (!device)
            throw new ResourceError("E_NO_DEVICE", `no ${want === "auto" ? "" : want + " "}device is available to ggml (found: ${devices.map((d) => d.name).join(", ") || "none"})`, {
                hint: want === "gpu" ? "use --device cpu, or install node-llama-cpp's GPU build for this machine" : "reinstall node-llama-cpp"
            });
        const dev = ggml.raw.ggml_backend_dev_get(device.index);
        const handle = ggml.raw.ggml_backend_dev_init(dev, null);
        if (!handle) throw new ResourceError("E_BACKEND_INIT", `ggml could not start its ${device.name} backend (${device.description})`);
        const reg = ggml.raw.ggml_backend_dev_backend_reg(dev);
        const backend = new GgmlBackend(ggml, handle, device, ggml.raw.ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads"));
        backend.setThreads(options.threads ?? "auto");
        return backend;
    }

    get name(): string {
        this.ensureAlive();
        return this.ggml.raw.ggml_backend_name(this.handle);
    }

    get isCpu(): boolean {
        return this.device.kind === "cpu";
    }

    get threads(): number {
        return this.threadCount;
    }

    /** Sets the CPU thread count (GPU backends ignore it). */
    setThreads(threads: "auto" | number): void {
        this.ensureAlive();
        const n = threads === "auto" ? Math.max(1, os.availableParallelism()) : threads;
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`threads must be a positive integer or "auto", got ${threads}`);
        this.threadCount = n;
        if (this.setNThreads) this.ggml.extras.callSetNThreads(this.setNThreads, this.handle, n);
    }

    /** Gives every tensor of `ctx` memory in one new backend buffer, owned by this backend. */
    allocateTensors(ctx: GgmlContext): GgmlBuffer {
        this.ensureAlive();
        const handle = this.ggml.raw.ggml_backend_alloc_ctx_tensors(ctx.handle, this.handle);
        if (!handle) throw new ResourceError("E_GGML_ALLOC", `could not allocate backend memory on ${this.device.name}`, {hint: "free memory or use a smaller model"});
        return new GgmlBuffer(this.ggml, handle, this);
    }

    createAllocator(): GgmlGraphAllocator {
        this.ensureAlive();
        const bufferType = this.ggml.raw.ggml_backend_get_default_buffer_type(this.handle);
        return new GgmlGraphAllocator(this.ggml, this.ggml.raw.ggml_gallocr_new(bufferType), this);
    }

    /**
     * The operations of a graph this device cannot run, as "OP (tensor name)". ggml aborts the process on an
     * unsupported operation, so graphs for a GPU are checked before their first run.
     */
    unsupportedOps(graph: GgmlGraph): string[] {
        this.ensureAlive();
        const dev = this.ggml.raw.ggml_backend_dev_get(this.device.index);
        const out: string[] = [];
        for (let i = 0; i < graph.nodeCount; i++) {
            const node = this.ggml.raw.ggml_graph_node(graph.handle, i);
            if (!this.ggml.raw.ggml_backend_dev_supports_op(dev, node))
                out.push(`${this.ggml.raw.ggml_op_name(this.ggml.extras.tensorOp(node))} (${this.ggml.extras.tensorName(node) || "unnamed"})`);
        }
        return out;
    }

    /** Runs a graph on a worker thread; resolves when the results are readable. */
    async compute(graph: GgmlGraph): Promise<void> {
        this.ensureAlive();
        this.check(await this.ggml.extras.graphComputeAsync(this.handle, graph.handle));
    }

    /** Runs a graph on this thread (cheaper for tiny graphs). */
    computeSync(graph: GgmlGraph): void {
        this.ensureAlive();
        this.check(this.ggml.raw.ggml_backend_graph_compute(this.handle, graph.handle));
    }

    private check(status: number): void {
        if (status !== 0)
            throw new ResourceError("E_GGML_COMPUTE", `ggml graph computation on ${this.device.name} failed: ${this.ggml.raw.ggml_status_to_string(status)}`);
    }

    protected free(): void {
        this.ggml.raw.ggml_backend_free(this.handle);
    }
}
