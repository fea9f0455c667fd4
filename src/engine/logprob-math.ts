/**
 * Log-probabilities from what llama.cpp's sampler returns for one position: a token's raw logit, the largest logit
 * and the total logit weight Σ exp(logit − max) over the whole vocabulary. log p = logit − (max + ln total).
 */
export function logprobOf(logit: number, maxLogit: number, totalLogitWeight: number): number {
    return logit - maxLogit - Math.log(totalLogitWeight);
}

/** ln Σ exp(x), stable. */
export function logSumExp(values: ArrayLike<number>): number {
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
    if (max === -Infinity) return -Infinity;
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
    return max + Math.log(sum);
}
