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
    defaultRmsEps: number,
    /**
     * A mixture-of-experts FFN as llama.cpp's qwen2moe graph computes it: a softmax router picks the top-k of the
     * routed experts, plus a shared expert behind a sigmoid gate. Its gate, up and down projections (the ones LoRA
     * adapts) are the shared expert's.
     */
    moe?: "qwen2moe"
};

export const architectures: Record<string, ArchitectureSpec> = {
    llama: {name: "llama", ropeType: "norm", attentionBias: false, permutesQK: true, defaultRopeTheta: 10000, defaultRmsEps: 1e-5},
    qwen2: {name: "qwen2", ropeType: "neox", attentionBias: true, permutesQK: false, defaultRopeTheta: 1000000, defaultRmsEps: 1e-6},
    qwen2moe: {name: "qwen2moe", ropeType: "neox", attentionBias: true, permutesQK: false, defaultRopeTheta: 1000000, defaultRmsEps: 1e-6, moe: "qwen2moe"}
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

/**
 * The routed expert tensors of a mixture of experts, LoRA targets only when asked for (never by default): one A/B
 * pair per expert, 3-D in GGUF as llama.cpp's build_lora_mm_id reads them. PEFT has no naming for them.
 */
export const expertProjections = {
    gate_exps: {gguf: "ffn_gate_exps"},
    up_exps: {gguf: "ffn_up_exps"},
    down_exps: {gguf: "ffn_down_exps"}
} as const;
export type ExpertProjectionName = keyof typeof expertProjections;
export const expertProjectionNames = Object.keys(expertProjections) as ExpertProjectionName[];

/** Everything LoRA can adapt: the seven projections, and in a mixture of experts its routed expert tensors. */
export type LoraTargetName = ProjectionName | ExpertProjectionName;
export const loraTargetNames: LoraTargetName[] = [...projectionNames, ...expertProjectionNames];

export function isExpertTarget(target: LoraTargetName): target is ExpertProjectionName {
    return target in expertProjections;
}

/** A LoRA target's GGUF tensor stem in an architecture (`attn_q`, `ffn_gate_shexp`, `ffn_gate_exps`). */
export function ggufTargetName(arch: string, target: LoraTargetName): string {
    return isExpertTarget(target) ? expertProjections[target].gguf : ggufProjectionName(arch, target);
}

/** The LoRA target a GGUF tensor stem or HF module path names, in any architecture. */
export function loraTargetOfName(name: string): LoraTargetName | undefined {
    return projectionOfName(name) ?? expertProjectionNames.find((p) => expertProjections[p].gguf === name);
}

/** The MLP projections of a mixture-of-experts architecture are its shared expert's (Qwen2-MoE's names). */
const sharedExpert: Partial<Record<ProjectionName, {gguf: string, hf: string}>> = {
    gate: {gguf: "ffn_gate_shexp", hf: "mlp.shared_expert.gate_proj"},
    up: {gguf: "ffn_up_shexp", hf: "mlp.shared_expert.up_proj"},
    down: {gguf: "ffn_down_shexp", hf: "mlp.shared_expert.down_proj"}
};

/** A projection's GGUF tensor stem in an architecture (`attn_q`; `ffn_gate_shexp` for qwen2moe's gate). */
export function ggufProjectionName(arch: string, target: ProjectionName): string {
    return (architectures[arch]?.moe ? sharedExpert[target]?.gguf : undefined) ?? projections[target].gguf;
}

/** A projection's Hugging Face module path in an architecture (`self_attn.q_proj`; `mlp.shared_expert.gate_proj`). */
export function hfProjectionPath(arch: string, target: ProjectionName): string {
    return (architectures[arch]?.moe ? sharedExpert[target]?.hf : undefined) ?? projections[target].hf;
}

/** The projection a GGUF tensor stem or HF module path names, in any architecture. */
export function projectionOfName(name: string): ProjectionName | undefined {
    return projectionNames.find((p) => projections[p].gguf === name || projections[p].hf === name || sharedExpert[p]?.gguf === name || sharedExpert[p]?.hf === name);
}
