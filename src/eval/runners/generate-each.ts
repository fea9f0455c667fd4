import type {GenerateRequest, PrismEngine} from "../../engine/engine.js";
import {PrismError} from "../../util/prism-error.js";

export type ItemGeneration = {text: string, finishReason: string, adapter: string | null, error?: string};

/**
 * Generates a batch; when a prompt does not fit the context, retries the batch one by one so that only that item
 * fails, with an empty text and the reason (a long MT-Bench conversation must not stop a whole evaluation).
 */
export async function generateEach(engine: PrismEngine, requests: readonly GenerateRequest[]): Promise<ItemGeneration[]> {
    try {
        return await engine.generate(requests);
    } catch (err) {
        if (!isTooLong(err) || requests.length === 0) throw err;
    }
    const out: ItemGeneration[] = [];
    for (const request of requests) {
        try {
            out.push((await engine.generate([request]))[0]!);
        } catch (err) {
            if (!isTooLong(err)) throw err;
            out.push({text: "", finishReason: "error", adapter: request.adapter ?? null, error: (err as Error).message});
        }
    }
    return out;
}

function isTooLong(err: unknown): boolean {
    return PrismError.isInstance(err) && err.code === "E_PROMPT_TOO_LONG";
}
