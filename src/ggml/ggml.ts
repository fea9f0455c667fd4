import {checkGgmlAbi} from "./ggml-abi.js";
import {locateGgmlLibraries, type GgmlLibraryPaths, type LocateGgmlOptions} from "./ggml-libraries.js";
import {loadRawGgml, type RawGgml, type RawGgmlExtras, type RawTensor} from "./raw.js";

/** A tensor handle inside a GgmlContext. Only src/ggml reads its fields. */
export type GgmlTensor = RawTensor;

export type GgmlDeviceKind = "cpu" | "gpu" | "igpu" | "accel" | "meta";
export type GgmlDevice = {index: number, name: string, description: string, kind: GgmlDeviceKind, freeBytes: number, totalBytes: number};

const deviceKinds: GgmlDeviceKind[] = ["cpu", "gpu", "igpu", "accel", "meta"];
let loading: Promise<Ggml> | undefined;

/**
 * The process's ggml: the libraries node-llama-cpp loaded, bound and checked against the ABI prism was written for.
 * Loaded once; tensors' data is read and written here because ggml does it through the tensor, whatever its buffer.
 */
export class Ggml {
    private constructor(
        /** The bound C functions; only src/ggml calls them. */
        readonly raw: RawGgml,
        readonly extras: RawGgmlExtras,
        readonly libraries: GgmlLibraryPaths
    ) {}

    static load(options: LocateGgmlOptions = {}): Promise<Ggml> {
        loading ??= (async () => {
            const libraries = await locateGgmlLibraries(options);
            const loaded = loadRawGgml(libraries);
            checkGgmlAbi(loaded);
            return new Ggml(loaded.raw, loaded.extras, libraries);
        })();
        loading.catch(() => (loading = undefined));
        return loading;
    }

    get version(): {ggml: string, commit: string} {
        return {ggml: this.raw.ggml_version(), commit: this.raw.ggml_commit()};
    }

    devices(): GgmlDevice[] {
        const out: GgmlDevice[] = [];
        for (let i = 0; i < this.raw.ggml_backend_dev_count(); i++) {
            const dev = this.raw.ggml_backend_dev_get(i);
            const free = new BigUint64Array(1), total = new BigUint64Array(1);
            this.raw.ggml_backend_dev_memory(dev, free, total);
            out.push({
                index: i,
                name: this.raw.ggml_backend_dev_name(dev),
                description: this.raw.ggml_backend_dev_description(dev),
                kind: deviceKinds[this.raw.ggml_backend_dev_type(dev)] ?? "accel",
                freeBytes: Number(free[0]),
                totalBytes: Number(total[0])
            });
        }
        return out;
    }

    typeSizeBytes(type: number): number {
        return this.raw.ggml_type_size(type);
    }

    blockSize(type: number): number {
        return Number(this.raw.ggml_blck_size(type));
    }

    typeName(type: number): string {
        return this.raw.ggml_type_name(type);
    }

    /** ne, innermost first, always four entries. */
    shape(t: GgmlTensor): [number, number, number, number] {
        return this.extras.tensorNe(t);
    }

    /** Byte strides nb, innermost first. */
    strides(t: GgmlTensor): [number, number, number, number] {
        return this.extras.tensorNb(t);
    }

    typeOf(t: GgmlTensor): number {
        return this.extras.tensorType(t);
    }

    nameOf(t: GgmlTensor): string {
        return this.extras.tensorName(t);
    }

    nbytes(t: GgmlTensor): number {
        return this.raw.ggml_nbytes(t);
    }

    elementCount(t: GgmlTensor): number {
        return Number(this.raw.ggml_nelements(t));
    }

    /** Copies host memory into an allocated tensor, at a byte offset. */
    write(t: GgmlTensor, data: ArrayBufferView, offsetBytes = 0): void {
        const nbytes = this.nbytes(t);
        if (offsetBytes + data.byteLength > nbytes)
            throw new RangeError(`writing ${data.byteLength} bytes at ${offsetBytes} into tensor "${this.nameOf(t)}" of ${nbytes} bytes`);
        if (data.byteLength > 0) this.raw.ggml_backend_tensor_set(t, data, offsetBytes, data.byteLength);
    }

    /** Copies an allocated tensor (or its first out.byteLength bytes from offsetBytes) into host memory. */
    read<A extends ArrayBufferView>(t: GgmlTensor, out: A, offsetBytes = 0): A {
        const nbytes = this.nbytes(t);
        if (offsetBytes + out.byteLength > nbytes)
            throw new RangeError(`reading ${out.byteLength} bytes at ${offsetBytes} from tensor "${this.nameOf(t)}" of ${nbytes} bytes`);
        if (out.byteLength > 0) this.raw.ggml_backend_tensor_get(t, out, offsetBytes, out.byteLength);
        return out;
    }

    /** The whole of an F32 tensor. */
    readFloat32(t: GgmlTensor): Float32Array {
        return this.read(t, new Float32Array(this.nbytes(t) / 4));
    }

    /** Sets every byte of an allocated tensor (0 gives zeros in every float type). */
    fill(t: GgmlTensor, byte = 0): void {
        this.raw.ggml_backend_tensor_memset(t, byte, 0, this.nbytes(t));
    }
}
