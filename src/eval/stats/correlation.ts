/** Pearson's r; NaN when fewer than 2 points or either variable is constant. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
    const n = Math.min(xs.length, ys.length);
    if (n < 2) return NaN;
    let mx = 0, my = 0;
    for (let i = 0; i < n; i++) {
        mx += xs[i]!;
        my += ys[i]!;
    }
    mx /= n;
    my /= n;
    let sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < n; i++) {
        const dx = xs[i]! - mx, dy = ys[i]! - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation: Pearson's r on ranks, ties given their average rank. */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
    return pearson(ranks(xs), ranks(ys));
}

function ranks(values: readonly number[]): number[] {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    const out = new Array<number>(values.length);
    for (let i = 0; i < order.length;) {
        let j = i;
        while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
        for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
        i = j + 1;
    }
    return out;
}

/** Least-squares line y = slope·x + intercept (for drawing a trend); null when x is constant. */
export function linearFit(xs: readonly number[], ys: readonly number[]): {slope: number, intercept: number} | null {
    const n = Math.min(xs.length, ys.length);
    if (n < 2) return null;
    const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
    const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
    let sxy = 0, sxx = 0;
    for (let i = 0; i < n; i++) {
        sxy += (xs[i]! - mx) * (ys[i]! - my);
        sxx += (xs[i]! - mx) ** 2;
    }
    if (sxx === 0) return null;
    const slope = sxy / sxx;
    return {slope, intercept: my - slope * mx};
}
