/** ln Σ exp(x), stable. */
export function logSumExp(values: ArrayLike<number>): number {
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
    if (max === -Infinity) return -Infinity;
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
    return max + Math.log(sum);
}
