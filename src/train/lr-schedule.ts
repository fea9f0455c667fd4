import type {TrainConfig} from "./train-config.js";

/** Warm-up steps of a run: warmupRatio of the total, at least one when the ratio is positive. */
export function warmupSteps(c: Pick<TrainConfig, "warmupRatio">, totalSteps: number): number {
    return c.warmupRatio > 0 ? Math.max(1, Math.round(c.warmupRatio * totalSteps)) : 0;
}

/** Learning rate of step `step` (from 0): linear warm-up from 0 to lr, then cosine decay to lr·minLrRatio at the last step. */
export function lrAt(step: number, totalSteps: number, c: Pick<TrainConfig, "lr" | "warmupRatio" | "minLrRatio">): number {
    const warmup = warmupSteps(c, totalSteps);
    if (step < warmup) return (c.lr * (step + 1)) / warmup;
    const decaySteps = Math.max(1, totalSteps - 1 - warmup);
    const progress = Math.min(1, (step - warmup) / decaySteps);
    const floor = c.lr * c.minLrRatio;
    return floor + (c.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
