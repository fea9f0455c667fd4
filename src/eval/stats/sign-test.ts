export type SignTestResult = {wins: number, losses: number, ties: number, /** Two-sided exact p-value; 1 when every pair ties. */ p: number};

/**
 * Exact two-sided sign test on paired differences: ties are dropped, and under the null hypothesis wins ~
 * Binomial(wins + losses, 1/2). The p-value doubles the smaller tail (capped at 1).
 */
export function signTest(diffs: readonly number[]): SignTestResult {
    let wins = 0, losses = 0, ties = 0;
    for (const d of diffs) {
        if (d > 0) wins++;
        else if (d < 0) losses++;
        else ties++;
    }
    const n = wins + losses;
    if (n === 0) return {wins, losses, ties, p: 1};
    const k = Math.min(wins, losses);
    // P(X <= k) for X ~ Bin(n, 1/2), summed in log space so large n does not overflow.
    let tail = 0;
    for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
    return {wins, losses, ties, p: Math.min(1, 2 * tail)};
}

function logChoose(n: number, k: number): number {
    return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
    for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
    return logFactorials[n]!;
}
