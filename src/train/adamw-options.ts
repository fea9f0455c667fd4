import {z} from "zod";

/**
 * The hyper-parameters of AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), under one set of
 * names for both of prism's optimisers: the adapter's on ggml (train/adamw.ts) and the gate's on JS arrays
 * (gate/adam-w.ts). At step t (from 1), for each parameter p with gradient g:
 *
 *     m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *     p ← p − lr·wd·p − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 *
 * The learning rate and the decay have no default here: each optimiser's user gives its own (the trainer's config,
 * the gate's classifier settings).
 */
export const AdamWOptions = z.object({
    /** Step size lr (the trainer's is scheduled: see lrAt). */
    lr: z.number().positive().max(1),
    /** Decoupled weight decay wd, applied as p ← p − lr·wd·p. */
    weightDecay: z.number().min(0).max(1),
    /** Decay of the first moment. Defaults to `0.9`. */
    beta1: z.number().min(0).max(1).default(0.9),
    /** Decay of the second moment. Defaults to `0.999`. */
    beta2: z.number().min(0).max(1).default(0.999),
    /** ε in the denominator. Defaults to `1e-8`. */
    adamEps: z.number().positive().default(1e-8)
});
export type AdamWOptions = z.output<typeof AdamWOptions>;
export type AdamWOptionsInput = z.input<typeof AdamWOptions>;

/** The factor that scales a gradient of global norm `gradNorm` down to `maxNorm` (0: no clipping). */
export function clipScale(gradNorm: number, maxNorm: number): number {
    return maxNorm > 0 && gradNorm > maxNorm ? maxNorm / gradNorm : 1;
}
