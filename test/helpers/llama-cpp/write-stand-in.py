"""Writes a random-initialised model with llama.cpp's own GGUF writer (gguf-py), shaped like a publisher's file.

Run by test/helpers/llama-cpp/stand-in-models.ts, which puts the gguf-py of the llama.cpp release bundled in
node-llama-cpp on PYTHONPATH. The spec (JSON, argv[1]) names the architecture, sizes, a vocabulary GGUF from that
release's models/ folder (real tokenizers: qwen2, llama-bpe, ...), a chat template, and publisher features: rope
scaling keys, llama3 rope_freqs, tied embeddings, MoE, split shards. Weights are seeded, so a spec gives one file.
"""
import json
import sys

import numpy as np
import gguf

spec = json.loads(sys.argv[1])
out = spec["out"]
arch = spec["arch"]
rng = np.random.default_rng(spec.get("seed", 1))
dtype = {"f32": np.float32, "f16": np.float16}[spec.get("dtype", "f32")]

n_layer = spec["layers"]
dim = spec["dim"]
n_head = spec["heads"]
n_kv = spec["kvHeads"]
ff = spec["ff"]
head_dim = dim // n_head
ctx = spec.get("contextLength", 4096)

writer = gguf.GGUFWriter(out, arch, split_max_tensors=spec.get("splitMaxTensors", 0))
writer.add_name(spec.get("name", f"stand-in {arch}"))
writer.add_context_length(ctx)
writer.add_embedding_length(dim)
writer.add_block_count(n_layer)
writer.add_feed_forward_length(ff)
writer.add_head_count(n_head)
writer.add_head_count_kv(n_kv)
writer.add_rope_freq_base(spec.get("ropeTheta", 10000.0))
writer.add_layer_norm_rms_eps(spec.get("rmsEps", 1e-6))
writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if dtype == np.float16 else gguf.LlamaFileType.ALL_F32)
if arch == "llama":
    writer.add_rope_dimension_count(head_dim)

scaling = spec.get("ropeScaling")
if scaling:
    writer.add_rope_scaling_type(gguf.RopeScalingType(scaling["type"]))
    writer.add_rope_scaling_factor(scaling["factor"])
    if "originalContext" in scaling:
        writer.add_rope_scaling_orig_ctx_len(scaling["originalContext"])
    if "attnFactor" in scaling:
        writer.add_rope_scaling_attn_factors(scaling["attnFactor"])

# The tokenizer: every tokenizer.* key of a vocabulary file llama.cpp ships, copied with its type.
reader = gguf.GGUFReader(spec["vocabFile"])
n_vocab = None
for field in reader.fields.values():
    if not field.name.startswith("tokenizer.") or field.name == "tokenizer.chat_template":
        continue
    value = field.contents()
    vtype = field.types[0]
    sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
    writer.add_key_value(field.name, value, vtype, sub)
    if field.name == "tokenizer.ggml.tokens":
        n_vocab = len(value)
if spec.get("chatTemplateFile"):
    with open(spec["chatTemplateFile"], encoding="utf-8") as f:
        writer.add_chat_template(f.read())


def weight(*shape, scale=None):
    fan_in = shape[-1]
    s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
    return (rng.standard_normal(shape, dtype=np.float32) * s).astype(dtype)


def norm(n):
    return (1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32)).astype(np.float32)


def bias(n):
    return (0.02 * rng.standard_normal(n, dtype=np.float32)).astype(np.float32)


writer.add_tensor("token_embd.weight", weight(n_vocab, dim, scale=0.5))
if spec.get("ropeFreqs"):
    # llama3-style long-context factors, one per rotary pair; llama.cpp divides each frequency by its factor.
    writer.add_tensor("rope_freqs.weight", np.linspace(1.0, 8.0, head_dim // 2).astype(np.float32))

moe = spec.get("moe")
if moe:
    writer.add_expert_count(moe["experts"])
    writer.add_expert_used_count(moe["used"])
    writer.add_expert_feed_forward_length(moe["ff"])
    writer.add_expert_shared_feed_forward_length(moe["sharedFf"])

for i in range(n_layer):
    p = f"blk.{i}."
    writer.add_tensor(p + "attn_norm.weight", norm(dim))
    writer.add_tensor(p + "attn_q.weight", weight(n_head * head_dim, dim))
    writer.add_tensor(p + "attn_k.weight", weight(n_kv * head_dim, dim))
    writer.add_tensor(p + "attn_v.weight", weight(n_kv * head_dim, dim))
    if arch in ("qwen2", "qwen2moe"):
        writer.add_tensor(p + "attn_q.bias", bias(n_head * head_dim))
        writer.add_tensor(p + "attn_k.bias", bias(n_kv * head_dim))
        writer.add_tensor(p + "attn_v.bias", bias(n_kv * head_dim))
    writer.add_tensor(p + "attn_output.weight", weight(dim, n_head * head_dim))
    writer.add_tensor(p + "ffn_norm.weight", norm(dim))
    if moe:
        e, eff, sff = moe["experts"], moe["ff"], moe["sharedFf"]
        writer.add_tensor(p + "ffn_gate_inp.weight", weight(e, dim).astype(np.float32))
        writer.add_tensor(p + "ffn_gate_exps.weight", weight(e, eff, dim))
        writer.add_tensor(p + "ffn_up_exps.weight", weight(e, eff, dim))
        writer.add_tensor(p + "ffn_down_exps.weight", weight(e, dim, eff))
        writer.add_tensor(p + "ffn_gate_inp_shexp.weight", weight(dim).astype(np.float32))
        writer.add_tensor(p + "ffn_gate_shexp.weight", weight(sff, dim))
        writer.add_tensor(p + "ffn_up_shexp.weight", weight(sff, dim))
        writer.add_tensor(p + "ffn_down_shexp.weight", weight(dim, sff))
    else:
        writer.add_tensor(p + "ffn_gate.weight", weight(ff, dim))
        writer.add_tensor(p + "ffn_up.weight", weight(ff, dim))
        writer.add_tensor(p + "ffn_down.weight", weight(dim, ff))

writer.add_tensor("output_norm.weight", norm(dim))
if not spec.get("tiedEmbeddings"):
    writer.add_tensor("output.weight", weight(n_vocab, dim))

writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
