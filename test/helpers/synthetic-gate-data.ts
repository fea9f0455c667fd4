import {Rng} from "../../src/util/rng.js";

export type SyntheticGateData = {features: Float32Array[], labels: number[], domains: string[]};

type Common = {rows: number, width: number, seed?: number, positiveShare?: number, domains?: readonly string[]};

/**
 * Two Gaussian blobs: noise N(0, 1) in every channel, plus ±separation/2 along one random unit direction. Channels
 * get a random offset and a scale between 0.1 and 100, as hidden states do, so unstandardised training would suffer.
 * With separation 6 the classes are linearly separable in practice.
 */
export function gaussianBlobs({rows, width, separation, seed = 1, positiveShare = 0.5, domains = ["a", "b", "c"]}: Common & {separation: number}): SyntheticGateData {
    const rng = new Rng(seed);
    const direction = unit(Float64Array.from({length: width}, () => rng.normal()));
    const {offset, scale} = channelStats(width, rng);
    return build(rows, positiveShare, domains, rng, (label) => {
        const f = new Float32Array(width);
        for (let c = 0; c < width; c++) f[c] = offset[c]! + scale[c]! * (rng.normal() + (label ? 0.5 : -0.5) * separation * direction[c]!);
        return f;
    });
}

/**
 * XOR in two channels (label 1 when x0 and x1 have the same sign, each |x| in [0.5, 2.5]) and noise in the rest:
 * no linear function separates it (logistic regression stays near AUC 0.5), a small MLP does.
 */
export function xorData({rows, width, seed = 1, positiveShare = 0.5, domains = ["a", "b"]}: Common): SyntheticGateData {
    const rng = new Rng(seed);
    const {offset, scale} = channelStats(width, rng);
    return build(rows, positiveShare, domains, rng, (label) => {
        const f = new Float32Array(width);
        for (let c = 0; c < width; c++) f[c] = rng.normal();
        const s0 = rng.next() < 0.5 ? -1 : 1, s1 = label ? s0 : -s0;
        f[0] = s0 * (0.5 + 2 * rng.next());
        f[1] = s1 * (0.5 + 2 * rng.next());
        for (let c = 0; c < width; c++) f[c] = offset[c]! + scale[c]! * f[c]!;
        return f;
    });
}

function build(rows: number, positiveShare: number, domains: readonly string[], rng: Rng, sample: (label: number) => Float32Array): SyntheticGateData {
    const out: SyntheticGateData = {features: [], labels: [], domains: []};
    for (let i = 0; i < rows; i++) {
        const label = rng.next() < positiveShare ? 1 : 0;
        out.features.push(sample(label));
        out.labels.push(label);
        out.domains.push(domains[i % domains.length]!);
    }
    return out;
}

function channelStats(width: number, rng: Rng): {offset: Float64Array, scale: Float64Array} {
    return {
        offset: Float64Array.from({length: width}, () => 10 * rng.normal()),
        scale: Float64Array.from({length: width}, () => 10 ** (3 * rng.next() - 1))
    };
}

function unit(v: Float64Array): Float64Array {
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
}
