import {z} from "zod";

/** Confusion counts; "positive" means the adapter is used (score ≥ threshold) / the persona helped (label 1). */
export const ConfusionCounts = z.object({
    truePositives: z.number().int().min(0),
    falsePositives: z.number().int().min(0),
    trueNegatives: z.number().int().min(0),
    falseNegatives: z.number().int().min(0)
});
export type ConfusionCounts = z.infer<typeof ConfusionCounts>;

export const BinaryMetrics = z.object({
    count: z.number().int().min(0),
    positives: z.number().int().min(0),
    negatives: z.number().int().min(0),
    threshold: z.number(),
    accuracy: z.number(),
    /** Mean of the true-positive and true-negative rates; 0.5 for a constant guess whatever the class balance. */
    balancedAccuracy: z.number(),
    /** Area under the ROC curve: P(score of a random positive > score of a random negative), ties counting half. `null` when a class is absent. */
    auc: z.number().nullable(),
    /** Mean binary cross-entropy of the scores (probabilities clamped to [1e-7, 1 − 1e-7]). */
    logLoss: z.number(),
    confusion: ConfusionCounts
});
export type BinaryMetrics = z.infer<typeof BinaryMetrics>;

/** Metrics of probability `scores` against 0/1 `labels`, deciding positive when score ≥ threshold. */
export function binaryMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): BinaryMetrics {
    if (scores.length !== labels.length) throw new RangeError(`binaryMetrics: ${scores.length} scores but ${labels.length} labels`);
    const confusion = confusionCounts(scores, labels, threshold);
    const {truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn} = confusion;
    const positives = tp + fn, negatives = tn + fp, count = scores.length;
    return {
        count, positives, negatives, threshold,
        accuracy: count === 0 ? 0 : (tp + tn) / count,
        balancedAccuracy: balancedAccuracy(confusion),
        auc: rocAuc(scores, labels),
        logLoss: logLoss(scores, labels),
        confusion
    };
}

export function confusionCounts(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ConfusionCounts {
    const c: ConfusionCounts = {truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0};
    for (let i = 0; i < scores.length; i++) {
        const predicted = scores[i]! >= threshold, actual = labels[i] === 1;
        if (predicted && actual) c.truePositives++;
        else if (predicted) c.falsePositives++;
        else if (actual) c.falseNegatives++;
        else c.trueNegatives++;
    }
    return c;
}

/** Mean of the per-class recalls; a class with no examples is left out (so one class alone gives its recall). */
export function balancedAccuracy(c: ConfusionCounts): number {
    const rates: number[] = [];
    if (c.truePositives + c.falseNegatives > 0) rates.push(c.truePositives / (c.truePositives + c.falseNegatives));
    if (c.trueNegatives + c.falsePositives > 0) rates.push(c.trueNegatives / (c.trueNegatives + c.falsePositives));
    return rates.length === 0 ? 0 : rates.reduce((a, b) => a + b, 0) / rates.length;
}

/**
 * ROC AUC by the rank-sum (Mann-Whitney U) identity in O(n log n): sort the scores, give each run of tied scores
 * its average rank, then AUC = (sum of positive ranks − P(P+1)/2) / (P·N). `null` when either class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
    const n = scores.length;
    const order = Array.from({length: n}, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
    let positives = 0, positiveRankSum = 0;
    for (let start = 0; start < n;) {
        let end = start + 1;
        while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
        const averageRank = (start + 1 + end) / 2; // ranks start..end-1, 1-based
        for (let i = start; i < end; i++) {
            if (labels[order[i]!] === 1) {
                positives++;
                positiveRankSum += averageRank;
            }
        }
        start = end;
    }
    const negatives = n - positives;
    if (positives === 0 || negatives === 0) return null;
    return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary cross-entropy; probabilities are clamped so that one confident mistake costs ~16, not infinity. */
export function logLoss(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
    if (scores.length === 0) return 0;
    let sum = 0;
    for (let i = 0; i < scores.length; i++) {
        const p = Math.min(1 - 1e-7, Math.max(1e-7, scores[i]!));
        sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
    }
    return sum / scores.length;
}
