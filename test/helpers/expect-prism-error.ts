import {PrismError} from "../../src/util/prism-error.js";

/** Runs `fn` and returns the PrismError it throws (failing the test if it throws something else or nothing). */
export async function prismErrorOf(fn: () => unknown): Promise<PrismError> {
    try {
        await fn();
    } catch (err) {
        if (PrismError.isInstance(err)) return err;
        throw err;
    }
    throw new Error("expected a PrismError, but nothing was thrown");
}
