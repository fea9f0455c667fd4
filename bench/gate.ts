/**
 * Gate benchmarks: the matmul kernel against its naive reference on the MLP's first-layer shapes, gate training
 * time on 1,000 examples of width 896 (a 0.5B model's hidden width), and the cost of one routing decision.
 * Run: npm run bench:gate
 */
import {matmulABt, naiveMatmulABt} from "../src/gate/matmul.js";
import {trainGate} from "../src/gate/train-gate.js";
import {Rng} from "../src/util/rng.js";
import {gaussianBlobs} from "../test/helpers/synthetic-gate-data.js";

function timeMs(fn: () => void, minMs = 300): number {
    fn();
    let reps = 0;
    const start = performance.now();
    while (performance.now() - start < minMs) {
        fn();
        reps++;
    }
    return (performance.now() - start) / reps;
}

const rng = new Rng(1);
const random = (n: number) => Float32Array.from({length: n}, () => rng.normal());
console.log("matmul out(M,N) = a(M,K)·b(N,K)ᵀ, float32, one thread");
for (const [label, M, N, K] of [["layer 1 forward (B=32)", 32, 128, 896], ["layer 1 weight gradient", 128, 896, 32]] as const) {
    const a = random(M * K), b = random(N * K), out = new Float32Array(M * N);
    const fast = timeMs(() => matmulABt(out, a, b, M, N, K)), naive = timeMs(() => naiveMatmulABt(out, a, b, M, N, K));
    const gmacs = (ms: number) => ((M * N * K) / ms / 1e6).toFixed(2);
    console.log(`  ${label.padEnd(26)} ${M}×${N}×${K}: fast ${fast.toFixed(3)} ms (${gmacs(fast)} GMAC/s), naive ${naive.toFixed(3)} ms (${gmacs(naive)} GMAC/s), speed-up ${(naive / fast).toFixed(1)}×`);
}

const width = 896, rows = 1000;
const data = gaussianBlobs({rows, width, separation: 3, seed: 1});
const definition = {layer: 1, position: "last-prompt-token" as const, width};
console.log(`\ntrainGate on ${rows} examples × ${width} features (Gaussian blobs, separation 3; 20% held out)`);
for (const kind of ["mlp", "logreg"] as const) {
    // A fixed 20 epochs (no early stop) gives a per-epoch cost; then the default run with early stopping.
    let start = performance.now();
    await trainGate({features: data.features, labels: data.labels, definition, modelFingerprint: "bench", kind, mlp: {maxEpochs: 20, patience: 1000}, logreg: {maxEpochs: 20, patience: 1000}});
    const perEpoch = (performance.now() - start) / 20;
    start = performance.now();
    const r = await trainGate({features: data.features, labels: data.labels, definition, modelFingerprint: "bench", kind});
    const total = performance.now() - start;
    const c = r.candidates[kind]!;
    console.log(`  ${kind.padEnd(6)} ${perEpoch.toFixed(0)} ms/epoch; default run ${(total / 1000).toFixed(2)} s, ${c.epochs} epochs (best ${c.bestEpoch}), held-out AUC ${c.heldOut.auc?.toFixed(3)}`);
}

const {gate} = await trainGate({features: data.features.slice(0, 200), labels: data.labels.slice(0, 200), definition, modelFingerprint: "bench", kind: "mlp", mlp: {maxEpochs: 1}});
const one = data.features[0]!;
const decideMs = timeMs(() => gate.decide(one));
console.log(`\none routing decision (standardise + MLP ${width} → 128 → 64 → 1): ${(decideMs * 1000).toFixed(0)} µs`);
