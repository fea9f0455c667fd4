import {balancedAccuracy, confusionCounts} from "./binary-metrics.js";

export type ThresholdCalibration = {threshold: number, balancedAccuracy: number};

/**
 * The decision threshold that maximises balanced accuracy on held-out scores, which is the same as maximising
 * Youden's J (TPR + TNR − 1 = 2·balanced accuracy − 1): the point of the ROC curve farthest above the diagonal.
 * Balanced rather than plain accuracy, because routing everything to the larger class scores well on plain accuracy
 * and tells nothing.
 *
 * Candidates are the midpoints between consecutive distinct scores (a threshold in the gap, not on a seen score,
 * generalises better) and 0.5 itself; among equally good ones the closest to 0.5 wins, so calibration moves the
 * threshold only when that helps. Without both classes there is nothing to calibrate and 0.5 is returned.
 */
export function calibrateThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): ThresholdCalibration {
    const n = scores.length;
    const atHalf = confusionCounts(scores, labels, 0.5);
    const P = atHalf.truePositives + atHalf.falseNegatives, N = atHalf.trueNegatives + atHalf.falsePositives;
    let best: ThresholdCalibration = {threshold: 0.5, balancedAccuracy: balancedAccuracy(atHalf)};
    if (P === 0 || N === 0) return best;

    // Descending sweep: after the run of scores equal to s, everything ≥ s is predicted positive.
    const order = Array.from({length: n}, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    let tp = 0, fp = 0;
    for (let i = 0; i < n;) {
        const s = scores[order[i]!]!;
        while (i < n && scores[order[i]!] === s) {
            if (labels[order[i]!] === 1) tp++;
            else fp++;
            i++;
        }
        if (i === n) break; // everything positive: the trivial threshold, never better than chance
        const next = scores[order[i]!]!;
        // Two adjacent doubles have no double between them: then s itself separates the runs.
        const middle = (s + next) / 2, threshold = middle > next ? middle : s;
        const value = (tp / P + (N - fp) / N) / 2;
        const better = value > best.balancedAccuracy + 1e-12
            || (Math.abs(value - best.balancedAccuracy) <= 1e-12 && Math.abs(threshold - 0.5) < Math.abs(best.threshold - 0.5));
        if (better) best = {threshold, balancedAccuracy: value};
    }
    return best;
}
