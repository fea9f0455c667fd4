/**
 * npm run bench:engine — the llama engine's speed, side by side in one run, on tiny models made here:
 *  1. batched generation (N prompts decoded together over parallel sequences) vs the same prompts one at a time;
 *  2. the cost of topLogprobs' full-vocabulary distributions against the decode alone.
 * Options: --prompts N (8), --tokens T (64), --dim D (64), --merges M (BPE merges, 512).
 */
import {parseArgs} from "node:util";
import {getLlama, type Token} from "node-llama-cpp";
import {LlamaEngine} from "../src/engine/llama-engine.js";
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

// topLogprobs' per-position read: node-llama-cpp 3.21 returns each position's distribution as a full-vocabulary Map of
// probabilities (3.22's logits filter, which returns only the top k and the normaliser, is not usable at the pinned version).
// Measured here: the teacher-forced walk with no outputs (the decode alone) against the walk that reads every position.
const llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 1024, threads: 1});
const sequence = context.getSequence();
const tokensIn = model.tokenize("The quick brown fox jumps over the lazy dog. ".repeat(8)).slice(0, T + 1);
const k = 8;
const walk = async (read: boolean) => {
    await sequence.clearHistory();
    const inputs = tokensIn.slice(0, -1);
    if (!read) {
        await sequence.evaluateWithoutGeneratingNewTokens(inputs);
        return [];
    }
    const out = await sequence.controlledEvaluate(inputs.map((token): [Token, {generateNext: {probabilities: true}}] => [token, {generateNext: {probabilities: true}}]));
    return out.map((o, i) => {
        const probabilities = o!.next.probabilities!;
        const top = [...probabilities.entries()].slice(0, k).map(([, p]) => Math.log(p));
        return [Math.log(probabilities.get(tokensIn[i + 1]!)!), ...top];
    });
};
const rounds = 5;
const timeWalk = async (read: boolean) => {
    await walk(read);
    return (await time(async () => {
        for (let i = 0; i < rounds; i++) await walk(read);
    }))[1] / rounds;
};
const decodeS = await timeWalk(false), readS = await timeWalk(true);
console.log(`topLogprobs ${tokensIn.length - 1} positions, k=${k}: decode only ${(decodeS * 1000).toFixed(1)} ms, with full-vocabulary probability Maps ${(readS * 1000).toFixed(1)} ms (${(readS / decodeS).toFixed(2)}× the decode)`);
await llama.dispose();
