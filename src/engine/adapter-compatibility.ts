import type {GgufFile} from "../model/gguf-file.js";
import {InvalidModelFileError} from "../model/invalid-model-file-error.js";

const loraTensorPattern = /^(.+)\.lora_(a|b)$/;

/**
 * Checks that a GGUF LoRA adapter fits a model before llama.cpp sees it (llama.cpp's own message for a mismatch is a
 * bare "failed to load" and, for some mismatches, a crash): same architecture, and every lora_a (ne [C_in, r]) and
 * lora_b (ne [r, C_out]) against the shape of the model tensor it adapts (ne [C_in, C_out]). The first mismatching
 * tensor is named.
 */
export function checkAdapterFitsModel(adapter: GgufFile, model: GgufFile): void {
    const fail = (reason: string, hint?: string) => {
        throw new InvalidModelFileError(adapter.path, reason, {hint: hint ?? `use an adapter trained on ${model.path} (prism info shows both files' shapes)`});
    };
    if (adapter.fileType !== "adapter" || adapter.get("adapter.type") !== "lora")
        fail("not a LoRA adapter (general.type must be \"adapter\" and adapter.type \"lora\")",
            adapter.fileType === "model" ? "this is a model: pass it with --model, and a LoRA adapter with --adapter" : undefined);
    if (adapter.architecture !== model.architecture)
        fail(`the adapter is for architecture "${adapter.architecture ?? "(none)"}" but the model is "${model.architecture ?? "(none)"}"`);
    const pairs = new Map<string, {a?: number[], b?: number[]}>();
    for (const t of adapter.tensors) {
        const m = loraTensorPattern.exec(t.name);
        if (!m) fail(`unexpected tensor ${t.name} in a LoRA adapter (names end in .lora_a or .lora_b)`);
        const [, target, which] = m!;
        const base = model.tensor(target!);
        if (!base) fail(`tensor ${t.name} adapts ${target}, which the model does not have`);
        const [inDim, outDim] = base!.shape;
        if (which === "a" && t.shape[0] !== inDim)
            fail(`tensor ${t.name} has shape [${t.shape.join(", ")}] but the model's ${target} takes inputs of width ${inDim} (expected [${inDim}, rank])`);
        if (which === "b" && t.shape[1] !== outDim)
            fail(`tensor ${t.name} has shape [${t.shape.join(", ")}] but the model's ${target} has output width ${outDim} (expected [rank, ${outDim}])`);
        const pair = pairs.get(target!) ?? {};
        pair[which as "a" | "b"] = t.shape;
        pairs.set(target!, pair);
    }
    for (const [target, {a, b}] of pairs) {
        if (!a || !b) fail(`${target} has a lora_${a ? "a" : "b"} tensor but no lora_${a ? "b" : "a"}`);
        if (a![1] !== b![0]) fail(`${target}.lora_a has rank ${a![1]} but ${target}.lora_b has rank ${b![0]}`);
    }
    if (pairs.size === 0) fail("the adapter has no LoRA tensors");
}
