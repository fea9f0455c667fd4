/**
 * npm run bench:engine — the llama engine's speed, side by side in one run, on tiny models made here:
 *  1. batched generation (N prompts decoded together over parallel sequences) vs the same prompts one at a time;
 *  2. topLogprobs' read of each position: llama.cpp's logits filter (top-k + total weight) vs full-vocabulary Maps.
 * Options: --prompts N (8), --tokens T (64), --dim D (64), --merges M (BPE merges, 512).
 */
import {parseArgs} from "node:util";
import {getLlama, type Token} from "node-llama-cpp";
import {LlamaEngine} from "../src/engine/llama-engine.js";
import {logprobOf} from "../src/engine/logprob-math.js";
import {tinyModel} from "../test/helpers/tiny-models.js";

const {values} = parseArgs({options: {prompts: {type: "string", default: "8"}, tokens: {type: "string", default: "64"}, dim: {type: "string", default: "64"}, merges: {type: "string", default: "512"}}});
const N = Number(values.prompts), T = Number(values.tokens), dim = Number(values.dim), merges = Number(values.merges);
const modelPath = await tinyModel({dim, heads: 4, kvHeads: 2, merges});
const time = async <R>(f: () => Promise<R>): Promise<[R, number]> => {
    const t = performance.now();
    const r = await f();
    return [r, (performance.now() - t) / 1000];
};

const engine = await LlamaEngine.load({model: modelPath, gpu: false, contextSize: 1024, parallel: N});
console.log(`model: llama, 2 layers, width ${dim}, vocabulary ${engine.vocabularySize}; ${engine.threads} thread(s); ${N} prompts × ${T} tokens`);
const requests = Array.from({length: N}, (_, i) => ({messages: [{role: "user" as const, content: `Question number ${i}: tell me something.`}], maxTokens: T, stop: []}));
await engine.generate(requests.slice(0, 1)); // warm-up: creates the context
const [batched, batchedS] = await time(() => engine.generate(requests));
const [single, singleS] = await time(async () => {
    const out = [];
    for (const r of requests) out.push(...await engine.generate([r]));
    return out;
});
const tokens = (rs: {usage: {outputTokens: number}}[]) => rs.reduce((n, r) => n + r.usage.outputTokens, 0);
const batchedTps = tokens(batched) / batchedS, singleTps = tokens(single) / singleS;
console.log(`generation  batched: ${batchedTps.toFixed(0)} tok/s (${batchedS.toFixed(3)} s)  one at a time: ${singleTps.toFixed(0)} tok/s (${singleS.toFixed(3)} s)  ratio ${(batchedTps / singleTps).toFixed(2)}×`);
console.log(`            same texts: ${batched.every((r, i) => r.text === single[i]!.text)}`);
await engine.dispose();

// topLogprobs' per-position read, both ways, on the same positions of one sequence.
const llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 1024, threads: 1});
const sequence = context.getSequence();
const text = "The quick brown fox jumps over the lazy dog. ".repeat(8);
const tokensIn = model.tokenize(text).slice(0, T + 1);
const k = 8;
const walk = async (mode: "filter" | "full") => {
    await sequence.clearHistory();
    const out = await sequence.controlledEvaluate(tokensIn.slice(0, -1).map((token, i): [Token, object] => [token, {generateNext: mode === "filter"
        ? {logits: {filter: {tokens: [tokensIn[i + 1]!], includeTop: k}}, totalLogitWeight: true}
        : {logits: true}}]));
    return out.map((o, i) => {
        const logits = o!.next.logits!;
        const target = tokensIn[i + 1]!;
        if (mode === "filter") {
            const top = [...logits].sort((a, b) => b[1] - a[1]).slice(0, k);
            return logprobOf(logits.get(target)!, top[0]![1], o!.next.totalLogitWeight!);
        }
        let max = -Infinity, total = 0;
        for (const v of logits.values()) max = Math.max(max, v);
        for (const v of logits.values()) total += Math.exp(v - max);
        [...logits].sort((a, b) => b[1] - a[1]).slice(0, k);
        return logprobOf(logits.get(target)!, max, total);
    });
};
await walk("filter");
await walk("full");
const rounds = 5;
const [filtered, filterS] = await time(async () => {
    let r: number[] = [];
    for (let i = 0; i < rounds; i++) r = await walk("filter");
    return r;
});
const [full, fullS] = await time(async () => {
    let r: number[] = [];
    for (let i = 0; i < rounds; i++) r = await walk("full");
    return r;
});
const maxDiff = Math.max(...filtered.map((v, i) => Math.abs(v - full[i]!)));
console.log(`topLogprobs ${tokensIn.length - 1} positions, k=${k}: filter ${(filterS / rounds * 1000).toFixed(1)} ms  full Maps ${(fullS / rounds * 1000).toFixed(1)} ms  ratio ${(fullS / filterS).toFixed(2)}× (largest logprob difference ${maxDiff.toExponential(1)})`);
await llama.dispose();
