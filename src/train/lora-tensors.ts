import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlBuffer} from "../ggml/ggml-buffer.js";
import {GgmlContext} from "../ggml/ggml-context.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import type {LoraTargetName} from "../model/architecture.js";
import {GgmlType} from "../model/ggml-type.js";
import type {LoraModule, LoraWeights} from "../lora/lora-weights.js";
import type {Rng} from "../util/rng.js";
import type {LoraModuleTensors} from "./lora-linear.js";

/** nExpert: a routed expert tensor's LoRA, one pair per expert: a ne [C_in, r, E], b ne [r, C_out, E]. */
export type LoraModuleShape = {layer: number, target: LoraTargetName, inDim: number, outDim: number, nExpert?: number};

const moduleSize = (m: LoraModuleShape, r: number) => r * (m.inDim + m.outDim) * (m.nExpert ?? 1);

/** One module's tensors; in training also its gradient accumulators and AdamW moments (same shapes as a and b). */
export type LoraModuleState = LoraModuleShape & LoraModuleTensors & {mA?: GgmlTensor, vA?: GgmlTensor, mB?: GgmlTensor, vB?: GgmlTensor};

export type LoraTensorsOptions = {
    modules: readonly LoraModuleShape[],
    rank: number,
    /** The factor applied to B·A·x (alpha / rank, or alpha / √rank with rsLoRA). */
    scale: number,
    /** Also allocate gradient accumulators and AdamW moments. Defaults to `false`. */
    training?: boolean
};

export type LoraTensorKind = "param" | "grad" | "m" | "v";

/** Row length of the flat tensors: rows let ggml spread element-wise work (AdamW) over its threads. */
const FLAT_ROW = 256;

/**
 * An adapter's A and B matrices on the backend, plus training state when asked for. Each kind (parameters,
 * gradients, AdamW moments) is one flat tensor and every module's A and B are views into it, so the optimiser, the
 * gradient norm and zeroing are one operation each however many modules there are.
 */
export class LoraTensors {
    private constructor(
        private readonly ggml: Ggml,
        readonly rank: number,
        readonly scale: number,
        readonly modules: LoraModuleState[],
        private readonly flats: Partial<Record<LoraTensorKind, GgmlTensor>>,
        private readonly ctx: GgmlContext,
        private readonly buffer: GgmlBuffer
    ) {}

    static create(ggml: Ggml, backend: GgmlBackend, options: LoraTensorsOptions): LoraTensors {
        const training = options.training ?? false;
        const r = options.rank;
        const kinds: LoraTensorKind[] = training ? ["param", "grad", "m", "v"] : ["param"];
        const elements = options.modules.reduce((n, m) => n + moduleSize(m, r), 0);
        const ctx = GgmlContext.create(ggml, {maxTensors: kinds.length * (1 + 2 * options.modules.length)});
        const flats = Object.fromEntries(kinds.map((k) => [k, ctx.newTensor(GgmlType.F32, [FLAT_ROW, Math.ceil(elements / FLAT_ROW)], `lora.${k}`)])) as Record<LoraTensorKind, GgmlTensor>;
        if (training) ctx.markParameter(flats.param);
        let offset = 0;
        const modules = options.modules.map((m): LoraModuleState => {
            const E = m.nExpert ?? 1, experts = m.nExpert !== undefined ? [m.nExpert] : [];
            const pair = (kind: LoraTensorKind) => [
                ctx.setName(ctx.view(flats[kind], [m.inDim, r, ...experts], offset * 4), `blk.${m.layer}.${m.target}.${kind}.a`),
                ctx.setName(ctx.view(flats[kind], [r, m.outDim, ...experts], (offset + m.inDim * r * E) * 4), `blk.${m.layer}.${m.target}.${kind}.b`)
            ] as const;
            const [a, b] = pair("param");
            const state: LoraModuleState = {...m, a, b, scale: options.scale};
            if (training) {
                [state.gradA, state.gradB] = pair("grad");
                [state.mA, state.mB] = pair("m");
                [state.vA, state.vB] = pair("v");
            }
            offset += moduleSize(m, r);
            return state;
        });
        const buffer = backend.allocateTensors(ctx);
        buffer.clear(0);
        return new LoraTensors(ggml, r, options.scale, modules, flats, ctx, buffer);
    }

    /** All of one kind as a single (256, ⌈P / 256⌉) tensor, zero-padded at the end. */
    flat(kind: LoraTensorKind): GgmlTensor {
        const t = this.flats[kind];
        if (!t) throw new Error(`internal: LoRA tensors were created without training state (${kind})`);
        return t;
    }

    /** The module adapting `target` in `layer`, if any. */
    module(layer: number, target: LoraTargetName): LoraModuleState | undefined {
        return this.modules.find((m) => m.layer === layer && m.target === target);
    }

    /** PEFT's initialisation: A ~ U(±1/√C_in) (kaiming-uniform with a = √5), B = 0, so the adapter starts as the identity. */
    initialize(rng: Rng): void {
        for (const m of this.modules) {
            const bound = 1 / Math.sqrt(m.inDim);
            this.ggml.write(m.a, Float32Array.from({length: m.inDim * this.rank * (m.nExpert ?? 1)}, () => (2 * rng.next() - 1) * bound));
            this.ggml.fill(m.b);
        }
    }

    /** Copies an adapter's matrices in (modules must match by layer and target). */
    load(weights: LoraWeights): void {
        for (const m of this.modules) {
            const src = weights.modules.find((w) => w.layer === m.layer && w.target === m.target);
            if (!src) throw new Error(`internal: adapter has no module for blk.${m.layer}.${m.target}`);
            this.ggml.write(m.a, src.a);
            this.ggml.write(m.b, src.b);
        }
    }

    /** Reads the matrices back as an in-memory adapter. */
    read(meta: Pick<LoraWeights, "arch" | "alpha" | "baseModelFingerprint">): LoraWeights {
        const modules: LoraModule[] = this.modules.map((m) => ({
            layer: m.layer, target: m.target, inDim: m.inDim, outDim: m.outDim, ...(m.nExpert !== undefined ? {nExpert: m.nExpert} : {}),
            a: this.ggml.readFloat32(m.a), b: this.ggml.readFloat32(m.b)
        }));
        return {...meta, rank: this.rank, modules};
    }

    /** Every module's tensors of one kind (views into the flat tensor), in module order. */
    tensors(kind: LoraTensorKind): GgmlTensor[] {
        const pick = (m: LoraModuleState): (GgmlTensor | undefined)[] =>
            kind === "param" ? [m.a, m.b] : kind === "grad" ? [m.gradA, m.gradB] : kind === "m" ? [m.mA, m.mB] : [m.vA, m.vB];
        return this.modules.flatMap((m) => pick(m).map((t) => {
            if (!t) throw new Error(`internal: LoRA tensors were created without training state (${kind})`);
            return t;
        }));
    }

    zeroGradients(): void {
        this.ggml.fill(this.flat("grad"));
    }

    get parameterCount(): number {
        return this.modules.reduce((n, m) => n + moduleSize(m, this.rank), 0);
    }

    get disposed(): boolean {
        return this.ctx.disposed;
    }

    dispose(): void {
        this.buffer.dispose();
        this.ctx.dispose();
    }

    [Symbol.dispose](): void {
        this.dispose();
    }
}
