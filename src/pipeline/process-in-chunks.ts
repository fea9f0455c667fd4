import {InterruptedError} from "../util/prism-error.js";

export type ProcessInChunksOptions<I, R> = {
    /** The pending items, in the stage's canonical order. */
    items: readonly I[],
    /** Items run together: the engine's parallel sequences. */
    chunkSize: number,
    /** Runs one chunk (one batched engine call); results in the chunk's order. */
    run(chunk: readonly I[]): Promise<R[]>,
    /** Stores a finished chunk's records (one append). */
    save(records: R[]): void,
    /** Names the work in the interruption message. */
    label: string,
    signal?: AbortSignal,
    /** Items finished so far in this call. */
    onProgress?(done: number): void
};

/**
 * Runs a stage's pending items chunk by chunk and saves each chunk as soon as it finishes, so a kill loses at most
 * the chunk in flight. When the signal fires, the chunk in flight (whose generations were cut short) is thrown away,
 * not saved, and an `InterruptedError` says the run can be resumed.
 */
export async function processInChunks<I, R>(options: ProcessInChunksOptions<I, R>): Promise<void> {
    const {items, chunkSize, signal} = options;
    const size = Math.max(1, Math.floor(chunkSize));
    for (let start = 0; start < items.length; start += size) {
        if (signal?.aborted) throw interrupted(options.label);
        let records: R[];
        try {
            records = await options.run(items.slice(start, start + size));
        } catch (err) {
            // Generations cut short by the signal fail in many ways (aborted results, cut JSON): all mean "stopped".
            if (signal?.aborted) throw interrupted(options.label);
            throw err;
        }
        if (signal?.aborted) throw interrupted(options.label);
        options.save(records);
        options.onProgress?.(Math.min(start + size, items.length));
    }
}

function interrupted(label: string): InterruptedError {
    return new InterruptedError(`bootstrap interrupted during ${label}; every finished item is saved`, {hint: "run the same command again to resume where it stopped"});
}
