/**
 * The row order of the q and k projections in Hugging Face checkpoints and in llama.cpp's GGUF files differs for
 * architectures whose converter permutes them (`permutesQK` in architecture.ts; llama, not qwen2).
 *
 * HF's LlamaAttention rotates the two halves of each head (rotate_half), so within a head of size hd the rotary pair
 * of dimension i is i + hd/2. llama.cpp's "norm" rope rotates adjacent pairs (2i, 2i+1). convert_hf_to_gguf.py's
 * LlamaModel.permute reshapes each weight to (heads, 2, hd/2, ...) and swaps the middle axes, so:
 *
 *     GGUF row  h·hd + 2i + j   =   HF row  h·hd + j·hd/2 + i      (j ∈ {0, 1}, i < hd/2)
 *
 * with heads = n_head for q and n_head_kv for k. Anything indexed by the output row moves the same way: the
 * weight's rows, a bias, and a LoRA adapter's lora_B rows (lora_A mixes inputs, so it never moves).
 */
export type QkLayout = "gguf" | "hf";

/**
 * Reorders the rows of a row-major matrix (`rows × rowLength`) from one layout to the other. `nHead` is the head
 * count of the projection (n_head for q, n_head_kv for k). Returns a new array; the input is untouched.
 */
export function permuteQkRows(data: Float32Array, nHead: number, rowLength: number, to: QkLayout): Float32Array {
    const rows = data.length / rowLength;
    if (!Number.isInteger(rows) || rows % nHead !== 0 || (rows / nHead) % 2 !== 0)
        throw new Error(`cannot permute q/k rows: ${data.length} values are not ${nHead} heads of an even head size × ${rowLength}`);
    const headDim = rows / nHead, half = headDim / 2;
    const out = new Float32Array(data.length);
    for (let h = 0; h < nHead; h++)
        for (let i = 0; i < half; i++)
            for (let j = 0; j < 2; j++) {
                const gguf = h * headDim + 2 * i + j, hf = h * headDim + j * half + i;
                const [from, dest] = to === "gguf" ? [hf, gguf] : [gguf, hf];
                out.set(data.subarray(from * rowLength, (from + 1) * rowLength), dest * rowLength);
            }
    return out;
}
