import {InterruptedError} from "../../util/prism-error.js";

/** Splits `items` into consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
    return out;
}

/** Stops between batches when the signal fired: the finished batches are already in the log. */
export function throwIfInterrupted(signal: AbortSignal | undefined, what: string): void {
    if (signal?.aborted) throw new InterruptedError(`interrupted during ${what}; finished items are saved`, {hint: "run the same command again to resume"});
}
