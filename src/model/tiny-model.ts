import {z} from "zod";
import {Rng} from "../util/rng.js";
import {UsageError} from "../util/prism-error.js";
import {architectures} from "./architecture.js";
import {trainByteBpe} from "./byte-bpe.js";
import {CHATML_SPECIAL_TOKENS, CHATML_TEMPLATE} from "./chatml.js";
import {GgmlType} from "./ggml-type.js";
import {gguf, type GgufMetadata} from "./gguf-value.js";
import {writeGguf, type GgufTensorToWrite} from "./gguf-writer.js";
import {encodeTensor} from "./quantize.js";
import {TINY_CORPUS} from "./tiny-corpus.js";

export const TinyModelOptions = z.object({
    /** GGUF architecture. Defaults to `"llama"`. */
    arch: z.enum(["llama", "qwen2"]).default("llama"),
    /** Transformer blocks. Defaults to `2`. */
    layers: z.number().int().min(1).max(256).default(2),
    /** Hidden width. Defaults to `64`. */
    dim: z.number().int().min(8).max(16384).default(64),
    /** Attention heads. Defaults to `4`. */
    heads: z.number().int().min(1).default(4),
    /** Key/value heads (grouped-query attention when fewer than heads). Defaults to `2`. */
    kvHeads: z.number().int().min(1).default(2),
    /** Feed-forward width. Defaults to `2 * dim + dim / 2` rounded up to a multiple of 32. */
    ff: z.number().int().min(1).optional(),
    /** "bpe": byte-level BPE with merges trained on a built-in corpus; "byte": the 256 byte tokens only. Defaults to `"bpe"`. */
    vocab: z.enum(["byte", "bpe"]).default("bpe"),
    /** BPE merges to learn (with vocab "bpe"). Defaults to `512`. */
    merges: z.number().int().min(0).max(20000).default(512),
    /** Storage type of the weight matrices (norms and biases stay F32). Defaults to `"f32"`. */
    dtype: z.enum(["f32", "f16", "q8_0"]).default("f32"),
    /** Training context length written to the metadata. Defaults to `2048`. */
    contextLength: z.number().int().min(16).default(2048),
    /** Seed of the random weights; the same options give the same file byte for byte. Defaults to `1`. */
    seed: z.number().int().min(0).default(1),
    /** Share the token embedding as output projection (no output.weight). Defaults to `false`. */
    tiedEmbeddings: z.boolean().default(false)
}).strict();
export type TinyModelOptions = z.input<typeof TinyModelOptions>;
export type TinyModelConfig = z.output<typeof TinyModelOptions> & {ff: number};

export type TinyModelResult = {path: string, config: TinyModelConfig, vocabSize: number, tensorCount: number, parameterCount: number, sizeBytes: number};

const dtypeToGgml = {f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0} as const;

/** Validates and completes tiny-model options, with errors that name the flag. */
export function resolveTinyModelConfig(options: TinyModelOptions = {}): TinyModelConfig {
    const parsed = TinyModelOptions.safeParse(options);
    if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UsageError(`tiny-model: --${issue.path.join(".")}: ${issue.message}`);
    }
    const c = parsed.data;
    const ff = c.ff ?? Math.ceil((2.5 * c.dim) / 32) * 32;
    if (c.dim % c.heads !== 0) throw new UsageError(`tiny-model: --dim ${c.dim} must be a multiple of --heads ${c.heads}`);
    if (c.heads % c.kvHeads !== 0) throw new UsageError(`tiny-model: --heads ${c.heads} must be a multiple of --kv-heads ${c.kvHeads}`);
    if ((c.dim / c.heads) % 2 !== 0) throw new UsageError(`tiny-model: the head size (dim/heads = ${c.dim / c.heads}) must be even for rotary embeddings`);
    if (c.dtype === "q8_0" && (c.dim % 32 !== 0 || ff % 32 !== 0))
        throw new UsageError(`tiny-model: --dtype q8_0 needs --dim and --ff to be multiples of 32 (got ${c.dim} and ${ff})`);
    return {...c, ff};
}

/** What a model built for a purpose other than tests (the planted world's) sets beyond the shape. */
export type TinyModelIdentity = {
    /** Text the BPE merges are learned on. Defaults to the built-in tiny corpus. */
    corpus?: string,
    /** `general.name`. Defaults to one made of the shape and seed. */
    name?: string,
    /** `general.description`. Defaults to the random-model notice. */
    description?: string
};

/** Builds a tiny model's metadata and tensors in memory: a real architecture with random weights and a real tokenizer. */
export function buildTinyModel(options: TinyModelOptions = {}, identity: TinyModelIdentity = {}): {config: TinyModelConfig, metadata: GgufMetadata, tensors: GgufTensorToWrite[]} {
    const c = resolveTinyModelConfig(options);
    const arch = architectures[c.arch]!;
    const bpe = trainByteBpe(identity.corpus ?? TINY_CORPUS, c.vocab === "bpe" ? c.merges : 0);
    const tokens = [...bpe.tokens, ...CHATML_SPECIAL_TOKENS];
    const tokenTypes = [...bpe.tokens.map(() => 1), ...CHATML_SPECIAL_TOKENS.map(() => 3)];
    const special = (t: string) => tokens.indexOf(t);
    const nVocab = tokens.length;
    const headDim = c.dim / c.heads;
    const nEmbdKv = headDim * c.kvHeads;
    const a = c.arch;

    const metadata: GgufMetadata = {
        "general.architecture": gguf.str(a),
        "general.type": gguf.str("model"),
        "general.name": gguf.str(identity.name ?? `prism-tiny-${a}-L${c.layers}-D${c.dim}-s${c.seed}`),
        "general.description": gguf.str(identity.description ?? "A random-initialised model made by prism tiny-model, for tests and demos. Its output is noise."),
        "general.file_type": gguf.u32({f32: 0, f16: 1, q8_0: 7}[c.dtype]),
        "general.quantization_version": gguf.u32(2),
        "general.alignment": gguf.u32(32),
        [`${a}.context_length`]: gguf.u32(c.contextLength),
        [`${a}.embedding_length`]: gguf.u32(c.dim),
        [`${a}.block_count`]: gguf.u32(c.layers),
        [`${a}.feed_forward_length`]: gguf.u32(c.ff),
        [`${a}.attention.head_count`]: gguf.u32(c.heads),
        [`${a}.attention.head_count_kv`]: gguf.u32(c.kvHeads),
        [`${a}.attention.layer_norm_rms_epsilon`]: gguf.f32(arch.defaultRmsEps),
        [`${a}.rope.freq_base`]: gguf.f32(arch.defaultRopeTheta),
        [`${a}.rope.dimension_count`]: gguf.u32(headDim),
        [`${a}.vocab_size`]: gguf.u32(nVocab),
        "tokenizer.ggml.model": gguf.str("gpt2"),
        "tokenizer.ggml.pre": gguf.str("qwen2"),
        "tokenizer.ggml.tokens": gguf.strings(tokens),
        "tokenizer.ggml.token_type": gguf.i32s(tokenTypes),
        "tokenizer.ggml.merges": gguf.strings(bpe.merges),
        "tokenizer.ggml.bos_token_id": gguf.u32(special("<|endoftext|>")),
        "tokenizer.ggml.eos_token_id": gguf.u32(special("<|im_end|>")),
        "tokenizer.ggml.eot_token_id": gguf.u32(special("<|im_end|>")),
        "tokenizer.ggml.padding_token_id": gguf.u32(special("<|endoftext|>")),
        "tokenizer.ggml.add_bos_token": gguf.bool(false),
        "tokenizer.chat_template": gguf.str(CHATML_TEMPLATE)
    };

    const rng = new Rng(c.seed);
    const matType = dtypeToGgml[c.dtype];
    const tensors: GgufTensorToWrite[] = [];
    // Scaled so activations stay O(1) through the blocks and the logits are peaked enough to give varied text.
    const matrix = (name: string, inDim: number, outDim: number, type: GgmlType = matType, std = 1 / Math.sqrt(inDim)) => {
        const values = new Float32Array(inDim * outDim);
        for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
        tensors.push({name, type, shape: [inDim, outDim], data: encodeTensor(values, type)});
    };
    const vector = (name: string, n: number, fill: (i: number) => number) => {
        tensors.push({name, type: GgmlType.F32, shape: [n], data: encodeTensor(Float32Array.from({length: n}, (_, i) => fill(i)), GgmlType.F32)});
    };
    // The embedding is looked up by row; F32/F16 keep every dtype's embedding readable without block constraints.
    matrix("token_embd.weight", c.dim, nVocab, matType === GgmlType.Q8_0 ? GgmlType.Q8_0 : matType, 1);
    vector("output_norm.weight", c.dim, () => 1 + 0.1 * rng.normal());
    if (!c.tiedEmbeddings) matrix("output.weight", c.dim, nVocab);
    for (let l = 0; l < c.layers; l++) {
        const p = `blk.${l}`;
        vector(`${p}.attn_norm.weight`, c.dim, () => 1 + 0.1 * rng.normal());
        matrix(`${p}.attn_q.weight`, c.dim, c.dim);
        matrix(`${p}.attn_k.weight`, c.dim, nEmbdKv);
        matrix(`${p}.attn_v.weight`, c.dim, nEmbdKv);
        if (arch.attentionBias) {
            vector(`${p}.attn_q.bias`, c.dim, () => 0.1 * rng.normal());
            vector(`${p}.attn_k.bias`, nEmbdKv, () => 0.1 * rng.normal());
            vector(`${p}.attn_v.bias`, nEmbdKv, () => 0.1 * rng.normal());
        }
        matrix(`${p}.attn_output.weight`, c.dim, c.dim);
        vector(`${p}.ffn_norm.weight`, c.dim, () => 1 + 0.1 * rng.normal());
        matrix(`${p}.ffn_gate.weight`, c.dim, c.ff);
        matrix(`${p}.ffn_up.weight`, c.dim, c.ff);
        matrix(`${p}.ffn_down.weight`, c.ff, c.dim);
    }
    return {config: c, metadata, tensors};
}

/** Writes a tiny model to `filePath` (atomically). */
export async function makeTinyModel(filePath: string, options: TinyModelOptions = {}): Promise<TinyModelResult> {
    const {config, metadata, tensors} = buildTinyModel(options);
    await writeGguf(filePath, metadata, tensors);
    const parameterCount = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    const sizeBytes = tensors.reduce((n, t) => n + t.data.byteLength, 0);
    return {path: filePath, config, vocabSize: (metadata["tokenizer.ggml.tokens"]!.value as string[]).length, tensorCount: tensors.length, parameterCount, sizeBytes};
}
