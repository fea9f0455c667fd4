/**
 * What prism needs to know about each supported architecture, as data: the graph code, the adapter formats and
 * the tiny-model builder all read this one table rather than branching on names.
 */
export type ArchitectureSpec = {
    /** GGUF general.architecture. */
    name: string,
    /** llama.cpp rope mode: "norm" rotates adjacent pairs, "neox" rotates the two halves of each head. */
    ropeType: "norm" | "neox",
    /** Whether the q, k and v projections carry biases. */
    attentionBias: boolean,
    /**
     * Whether llama.cpp's converter permuted the rows of q and k (HF's rotate-half layout to GGUF's interleaved one).
     * Anything that maps q/k weights or adapters between PEFT and GGUF must apply the same permutation.
     */
    permutesQK: boolean,
    defaultRopeTheta: number,
    defaultRmsEps: number
};

export const architectures: Record<string, ArchitectureSpec> = {
    llama: {name: "llama", ropeType: "norm", attentionBias: false, permutesQK: true, defaultRopeTheta: 10000, defaultRmsEps: 1e-5},
    qwen2: {name: "qwen2", ropeType: "neox", attentionBias: true, permutesQK: false, defaultRopeTheta: 1000000, defaultRmsEps: 1e-6}
};

export const supportedArchitectures = Object.keys(architectures);

/** The linear projections of a block, by prism's short name, with their GGUF and Hugging Face names. */
export const projections = {
    q: {gguf: "attn_q", hf: "self_attn.q_proj"},
    k: {gguf: "attn_k", hf: "self_attn.k_proj"},
    v: {gguf: "attn_v", hf: "self_attn.v_proj"},
    o: {gguf: "attn_output", hf: "self_attn.o_proj"},
    gate: {gguf: "ffn_gate", hf: "mlp.gate_proj"},
    up: {gguf: "ffn_up", hf: "mlp.up_proj"},
    down: {gguf: "ffn_down", hf: "mlp.down_proj"}
} as const;

export type ProjectionName = keyof typeof projections;
export const projectionNames = Object.keys(projections) as ProjectionName[];
