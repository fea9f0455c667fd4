import type {Rng} from "../util/rng.js";

export type HeldOutSplit = {train: number[], heldOut: number[]};

/**
 * A stratified split: each (label, domain) group gives about `share` of its examples to the held-out set, so the
 * held-out set has the class balance and the domain mix of the whole, and per-domain figures exist for every domain
 * with enough examples. Fractions carry over from one group to the next within a label, so small groups still add
 * up to the right total. Each label keeps at least one example on each side (the caller checks there are two).
 * Both lists come back sorted.
 */
export function heldOutSplit({labels, domains, share, rng}: {labels: ArrayLike<number>, domains?: readonly string[], share: number, rng: Rng}): HeldOutSplit {
    const groups = new Map<string, number[]>();
    for (let i = 0; i < labels.length; i++) {
        const key = `${labels[i]}\u0000${domains?.[i] ?? ""}`;
        let group = groups.get(key);
        if (!group) groups.set(key, group = []);
        group.push(i);
    }
    const heldOut: number[] = [];
    for (const label of [0, 1]) {
        const labelGroups = [...groups.entries()].filter(([k]) => k.startsWith(`${label}\u0000`)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => rng.shuffle(g.slice()));
        const total = labelGroups.reduce((n, g) => n + g.length, 0);
        if (total === 0) continue;
        const taken = labelGroups.map(() => 0);
        let carry = 0;
        labelGroups.forEach((g, j) => {
            const quota = share * g.length + carry;
            taken[j] = Math.min(g.length, Math.floor(quota + 1e-9));
            carry = quota - taken[j]!;
        });
        const sum = () => taken.reduce((a, b) => a + b, 0);
        const largest = labelGroups.reduce((best, g, j) => (g.length > labelGroups[best]!.length ? j : best), 0);
        if (total >= 2 && sum() === 0) taken[largest]!++;
        if (total >= 2 && sum() === total) taken[largest]!--;
        labelGroups.forEach((g, j) => heldOut.push(...g.slice(0, taken[j])));
    }
    const isHeldOut = new Uint8Array(labels.length);
    for (const i of heldOut) isHeldOut[i] = 1;
    const train: number[] = [];
    for (let i = 0; i < labels.length; i++) if (!isHeldOut[i]) train.push(i);
    return {train, heldOut: heldOut.sort((a, b) => a - b)};
}
