import type {GgmlBackend} from "../ggml/ggml-backend.js";
import type {GgmlBuffer} from "../ggml/ggml-buffer.js";
import {GgmlContext} from "../ggml/ggml-context.js";
import type {Ggml, GgmlTensor} from "../ggml/ggml.js";
import {ggufProjectionName, projectionNames, type ProjectionName} from "../model/architecture.js";
import type {GgufFile, GgufTensorInfo} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";
import {projectionShape, type ModelHparams} from "../model/model-hparams.js";

/** A frozen linear map y = W·x (+ bias). w: ne [C_in, C_out] in its GGUF type. */
export type LinearWeights = {name: string, w: GgmlTensor, bias?: GgmlTensor, inDim: number, outDim: number, type: number};

/** E frozen matrices in one tensor, one per expert. w: ne [C_in, C_out, E] in its GGUF type. */
export type ExpertWeights = {name: string, w: GgmlTensor, inDim: number, outDim: number, nExpert: number, type: number};

/**
 * A qwen2moe FFN's weights besides its shared expert (which is `linear.gate/up/down`). router: C → E logits;
 * gate, up: E × (C → F_exp); down: E × (F_exp → C); shexpGate: ne [C], the shared expert's sigmoid gate.
 */
export type MoeWeights = {router: LinearWeights, gate: ExpertWeights, up: ExpertWeights, down: ExpertWeights, shexpGate: GgmlTensor};

export type BlockWeights = {
    attnNorm: GgmlTensor,
    ffnNorm: GgmlTensor,
    linear: Record<ProjectionName, LinearWeights>,
    moe?: MoeWeights
};

/**
 * A model's frozen weights on a backend, in their GGUF types. `blocks` may be a prefix of the model's (a partial
 * forward loads only what it runs); `output` is absent then.
 */
export type ModelWeights = {
    tokenEmbd: GgmlTensor,
    blocks: BlockWeights[],
    output?: {norm: GgmlTensor, linear: LinearWeights},
    /** Llama 3 style per-dimension rope frequency factors, when the model has them. */
    ropeFreqs?: GgmlTensor,
    ctx: GgmlContext,
    buffer: GgmlBuffer,
    sizeBytes: number
};

export type LoadModelWeightsOptions = {
    /** Blocks to load, from the first. Defaults to all. */
    blocks?: number,
    /** Load the final norm and output projection. Defaults to `true`. */
    output?: boolean
};

/** Reads a GGUF model's weights into backend memory (frozen; nothing is dequantized). */
export function loadModelWeights(ggml: Ggml, backend: GgmlBackend, file: GgufFile, h: ModelHparams, options: LoadModelWeightsOptions = {}): ModelWeights {
    const nBlocks = options.blocks ?? h.nLayer;
    const withOutput = options.output ?? true;
    if (file.tensor("blk.0.attn_qkv.weight"))
        throw new InvalidModelFileError(file.path, "fused attn_qkv weights are not supported by prism's trainer", {hint: "use a GGUF with separate attn_q, attn_k and attn_v tensors"});
    const wanted: {info: GgufTensorInfo, t: GgmlTensor}[] = [];
    const ctx = GgmlContext.create(ggml, {maxTensors: 16 + nBlocks * 20});
    const tensor = (name: string, shape?: number[]): GgmlTensor => {
        const info = file.requireTensor(name);
        if (shape && (info.shape[0] !== shape[0] || (info.shape[1] ?? 1) !== (shape[1] ?? 1)))
            throw new InvalidModelFileError(file.path, `tensor ${name} has shape [${info.shape.join(", ")}], expected [${shape.join(", ")}] from the metadata`);
        const t = ctx.newTensor(info.type, info.shape, name);
        wanted.push({info, t});
        return t;
    };
    const optional = (name: string, shape: number[]) => (file.tensor(name) ? tensor(name, shape) : undefined);
    const linear = (name: string, inDim: number, outDim: number): LinearWeights => {
        const w = tensor(`${name}.weight`, [inDim, outDim]);
        return {name, w, bias: optional(`${name}.bias`, [outDim]), inDim, outDim, type: file.requireTensor(`${name}.weight`).type};
    };

    const tokenEmbd = tensor("token_embd.weight", [h.nEmbd, h.nVocab]);
    const blocks: BlockWeights[] = [];
    for (let l = 0; l < nBlocks; l++) {
        const p = `blk.${l}`;
        const lin = {} as Record<ProjectionName, LinearWeights>;
        for (const proj of projectionNames) {
            const {inDim, outDim} = projectionShape(h, proj);
            lin[proj] = linear(`${p}.${ggufProjectionName(h.arch.name, proj)}`, inDim, outDim);
        }
        let moe: MoeWeights | undefined;
        if (h.moe) {
            const {nExpert: E, nFfExp: F} = h.moe;
            const experts = (name: string, inDim: number, outDim: number): ExpertWeights => {
                const info = file.requireTensor(`${name}.weight`);
                if (info.shape[0] !== inDim || info.shape[1] !== outDim || info.shape[2] !== E)
                    throw new InvalidModelFileError(file.path, `tensor ${name}.weight has shape [${info.shape.join(", ")}], expected [${inDim}, ${outDim}, ${E}] from the metadata`);
                const t = ctx.newTensor(info.type, info.shape, `${name}.weight`);
                wanted.push({info, t});
                return {name, w: t, inDim, outDim, nExpert: E, type: info.type};
            };
            moe = {
                router: linear(`${p}.ffn_gate_inp`, h.nEmbd, E),
                gate: experts(`${p}.ffn_gate_exps`, h.nEmbd, F),
                up: experts(`${p}.ffn_up_exps`, h.nEmbd, F),
                down: experts(`${p}.ffn_down_exps`, F, h.nEmbd),
                shexpGate: tensor(`${p}.ffn_gate_inp_shexp.weight`, [h.nEmbd])
            };
        }
        blocks.push({attnNorm: tensor(`${p}.attn_norm.weight`, [h.nEmbd]), ffnNorm: tensor(`${p}.ffn_norm.weight`, [h.nEmbd]), linear: lin, moe});
    }
    let output: ModelWeights["output"];
    if (withOutput) {
        const norm = tensor("output_norm.weight", [h.nEmbd]);
        const outLinear: LinearWeights = h.tiedEmbeddings
            ? {name: "token_embd", w: tokenEmbd, inDim: h.nEmbd, outDim: h.nVocab, type: file.requireTensor("token_embd.weight").type}
            : linear("output", h.nEmbd, h.nVocab);
        output = {norm, linear: outLinear};
    }
    const ropeFreqs = optional("rope_freqs.weight", [h.ropeDim / 2]);

    const buffer = backend.allocateTensors(ctx);
    try {
        for (const {info, t} of wanted) ggml.write(t, file.readTensorBytes(info));
    } catch (err) {
        buffer.dispose();
        ctx.dispose();
        throw err;
    }
    return {tokenEmbd, blocks, output, ropeFreqs, ctx, buffer, sizeBytes: buffer.sizeBytes};
}
