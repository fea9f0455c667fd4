/**
 * Holm's step-down correction of p-values for multiple comparisons (family-wise error rate): sort ascending,
 * multiply the i-th smallest (0-based) by (m − i), carry the running maximum, cap at 1. Returns the adjusted
 * values in the input order.
 */
export function holm(pValues: readonly number[]): number[] {
    const m = pValues.length;
    const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
    const out = new Array<number>(m);
    let running = 0;
    order.forEach(([p, i], rank) => {
        running = Math.max(running, Math.min(1, (m - rank) * p));
        out[i] = running;
    });
    return out;
}

/**
 * Benjamini–Hochberg adjusted p-values (false discovery rate): the i-th smallest (1-based) times m / i, with the
 * running minimum taken from the largest down, capped at 1. Returns the adjusted values in the input order.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
    const m = pValues.length;
    const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
    const out = new Array<number>(m);
    let running = 1;
    for (let rank = m - 1; rank >= 0; rank--) {
        const [p, i] = order[rank]!;
        running = Math.min(running, Math.min(1, p * m / (rank + 1)));
        out[i] = running;
    }
    return out;
}
