import type {Rng} from "../util/rng.js";

/**
 * Packs tokenized episodes whole into windows of `n + 1` tokens (first fit, in a seeded order), so no episode's
 * answer is cut off from its prompt; the rest of a window is `pad`. Episodes longer than a window are left out and
 * counted. Returns the windows as inputs `data[i*n .. i*n+n)` and next-token labels `labels[i*n .. i*n+n)`.
 */
export function packEpisodes(episodes: readonly Int32Array[], n: number, pad: number, rng: Rng): {data: Int32Array, labels: Int32Array, windows: number, dropped: number, fill: number} {
    const order = rng.shuffle(episodes.map((_, i) => i));
    const windows: number[][] = [];
    const free: number[] = [];
    let dropped = 0, used = 0;
    for (const i of order) {
        const len = episodes[i]!.length;
        if (len > n + 1) {
            dropped++;
            continue;
        }
        // First fit among the last few open windows keeps packing linear and the windows well filled.
        let w = -1;
        for (let k = Math.max(0, windows.length - 64); k < windows.length; k++)
            if (free[k]! >= len) {
                w = k;
                break;
            }
        if (w < 0) {
            windows.push([]);
            free.push(n + 1);
            w = windows.length - 1;
        }
        windows[w]!.push(i);
        free[w]! -= len;
        used += len;
    }
    const data = new Int32Array(windows.length * n), labels = new Int32Array(windows.length * n);
    windows.forEach((members, w) => {
        const seq = new Int32Array(n + 1).fill(pad);
        let at = 0;
        for (const i of members) {
            seq.set(episodes[i]!, at);
            at += episodes[i]!.length;
        }
        data.set(seq.subarray(0, n), w * n);
        labels.set(seq.subarray(1), w * n);
    });
    return {data, labels, windows: windows.length, dropped, fill: windows.length === 0 ? 0 : used / (windows.length * (n + 1))};
}
