/**
 * What routing adds to a request: the gate's latency (features + classifier) against the same 64-token generation
 * without routing, measured side by side in one run on the tiny model.
 *
 * Two engines on the same GGUF, one per arm, so neither arm finds the other's prompt in a KV cache; every prompt is
 * used once per arm, and the arms alternate request by request. The routed arm does what `prism serve` does: decide
 * (features + gate), then generate on the chosen model. The unrouted arm generates on that same model, named explicitly.
 * Only prompts for which that model writes all 64 tokens are used, so every request is a full 64-token generation.
 *
 * The gate's features are what `prism serve --run` uses: the partial forward (embedding + block 0 on ggml, the hidden
 * state at the prompt's last token). `--features prompt-vector` measures the older stand-in (a full forward on the
 * llama engine's embedding context) for comparison.
 *
 * `--layers N --dim N` make a deeper or wider random model than the default tiny one (2 blocks, width 64), to see how
 * the gate's share shrinks as block 0 becomes a smaller part of the model.
 *
 * Run: npm run bench:route [-- --requests N] [-- --features partial-forward|prompt-vector] [-- --layers N --dim N] [-- --json]
 * (--json: the last line is a JSON object)
 */
import {LlamaEngine} from "../src/engine/llama-engine.js";
import type {GateFeatures} from "../src/gate/gate-features.js";
import {partialForwardFeatures} from "../src/gate/partial-forward-features.js";
import {promptVectorFeatures} from "../src/gate/prompt-vector-features.js";
import {createRouter} from "../src/gate/router.js";
import {trainTinyGate, userTurn} from "../test/helpers/tiny-gate.js";
import {tinyLora} from "../test/helpers/tiny-models.js";

const MAX_TOKENS = 64;
const TARGET = 0.02;
const json = process.argv.includes("--json");
const requestsArg = process.argv.indexOf("--requests");
const requests = requestsArg > 0 ? Number(process.argv[requestsArg + 1]) : 150;
const numberArg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const shape = {layers: numberArg("--layers") ?? 2, dim: numberArg("--dim") ?? 64};
const featuresArg = process.argv.indexOf("--features");
const featureKind = featuresArg > 0 ? process.argv[featuresArg + 1] : "partial-forward";
if (featureKind !== "partial-forward" && featureKind !== "prompt-vector") throw new Error(`--features: "${featureKind}" is not partial-forward or prompt-vector`);
const say = (line = "") => process.stdout.write(line + "\n");

const subjects = ["a garden", "the tax code", "my startup", "a bridge design", "this poem", "a hiking trip", "the budget", "a job offer", "my essay", "a chess opening", "the API", "a wedding speech", "our roadmap", "a recipe", "the contract", "a database schema"];
const asks = ["Review {s} for risks.", "What do you think of {s}?", "Explain {s} to a child.", "Give me feedback on {s}.", "List three facts about {s}.", "How would an expert critique {s}?", "Summarise {s} in one line.", "What is missing from {s}?"];
const candidates = subjects.flatMap((s) => asks.map((a) => a.replace("{s}", s))).flatMap((p) => [p, `Quick question: ${p}`, `${p} Be brief.`]);

const {model, adapter} = await tinyLora(shape.layers === 2 && shape.dim === 64 ? {} : {layers: shape.layers, dim: shape.dim, heads: Math.max(1, shape.dim / 32), kvHeads: Math.max(1, shape.dim / 64)}, {});
const load = (parallel: number) => LlamaEngine.load({model, gpu: false, contextSize: 512, parallel, adapters: [{name: "persona", path: adapter}]});
const openFeatures = async (engine: LlamaEngine): Promise<GateFeatures & {dispose?(): void}> => featureKind === "prompt-vector"
    ? promptVectorFeatures(engine)
    : partialForwardFeatures({modelPath: model, layers: 1, tokenizer: engine.chatTokenizer, threads: engine.threads, device: "cpu"});

// Setup (not timed): the gate, each candidate's route, and the prompts whose route writes 64 tokens without stopping.
const setup = await load(8);
const setupFeatures = await openFeatures(setup);
const gate = await trainTinyGate(setupFeatures);
const routes: (string | null)[] = [];
for (const p of candidates) routes.push(gate.decide(await setupFeatures.extract(userTurn(p))).useAdapter ? "persona" : null);
const trial = await setup.generate(candidates.map((p, i) => ({messages: userTurn(p), adapter: routes[i], maxTokens: MAX_TOKENS})));
setupFeatures.dispose?.();
await setup.dispose();
const usable = candidates.map((p, i) => ({prompt: p, adapter: routes[i]!})).filter((_, i) => trial[i]!.usage.outputTokens === MAX_TOKENS);
const n = Math.min(requests, usable.length);
if (n < 20) throw new Error(`only ${usable.length} prompts write ${MAX_TOKENS} tokens; need at least 20`);

const routedEngine = await load(1);
const plainEngine = await load(1);
const features = await openFeatures(routedEngine);
const router = createRouter({engine: routedEngine, adapter: "persona", gate, features});

const routed: number[] = [], plain: number[] = [], gateMs: number[] = [], prefill: number[] = [];
const routedOnce = async (prompt: string) => {
    const started = performance.now();
    const route = await router.decide(userTurn(prompt));
    const decided = performance.now();
    const [r] = await routedEngine.generate([{messages: userTurn(prompt), adapter: route.adapter, route, maxTokens: MAX_TOKENS}]);
    return {totalMs: performance.now() - started, gateMs: decided - started, full: r!.usage.outputTokens === MAX_TOKENS};
};
const plainOnce = async (prompt: string, adapterName: string | null, maxTokens = MAX_TOKENS) => {
    const started = performance.now();
    const [r] = await plainEngine.generate([{messages: userTurn(prompt), adapter: adapterName, maxTokens}]);
    return {ms: performance.now() - started, full: r!.usage.outputTokens === maxTokens};
};

// Warm-up: contexts and the embedding context are made on first use.
for (const {prompt, adapter: a} of usable.slice(-4)) {
    await routedOnce(prompt);
    await plainOnce(prompt, a);
}
// Batched and single-sequence decoding can round differently, so a prompt that wrote 64 tokens in setup may stop
// early here; such pairs are left out, so both arms time the same full 64-token generations.
let partial = 0;
for (let i = 0; i < n; i++) {
    const {prompt, adapter: a} = usable[i]!;
    // Alternate which arm goes first, so drift (other processes, thermal) falls on both alike.
    const first = i % 2 === 0 ? "routed" : "plain";
    const one = first === "routed" ? await routedOnce(prompt) : await plainOnce(prompt, a);
    const two = first === "routed" ? await plainOnce(prompt, a) : await routedOnce(prompt);
    const [rr, pp] = (first === "routed" ? [one, two] : [two, one]) as [Awaited<ReturnType<typeof routedOnce>>, Awaited<ReturnType<typeof plainOnce>>];
    if (!rr.full || !pp.full) {
        partial++;
        continue;
    }
    routed.push(rr.totalMs);
    gateMs.push(rr.gateMs);
    plain.push(pp.ms);
}
// One prefill of a prompt (prompt + 1 token) for scale: what one extra forward over the prompt costs.
for (let i = 0; i < Math.min(n, 50); i++) prefill.push((await plainOnce(`${usable[i]!.prompt} (prefill)`, usable[i]!.adapter, 1)).ms);
features.dispose?.();
await routedEngine.dispose();
await plainEngine.dispose();

const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const r = {p50: pct(routed, 50), p99: pct(routed, 99)}, u = {p50: pct(plain, 50), p99: pct(plain, 99)}, g = {p50: pct(gateMs, 50), p99: pct(gateMs, 99)};
const result = {
    layers: shape.layers, dim: shape.dim, requests: routed.length, left_out: partial, max_tokens: MAX_TOKENS, features: featureKind,
    adapter_share: usable.slice(0, n).filter((x) => x.adapter !== null).length / n,
    unrouted_p50_ms: u.p50, unrouted_p99_ms: u.p99, routed_p50_ms: r.p50, routed_p99_ms: r.p99,
    p50_overhead: r.p50 / u.p50 - 1, p99_overhead: r.p99 / u.p99 - 1,
    gate_p50_ms: g.p50, gate_p99_ms: g.p99, gate_p50_fraction: g.p50 / u.p50, gate_p99_fraction: g.p99 / u.p50,
    prefill_p50_ms: pct(prefill, 50), target: TARGET, meets_target: r.p50 / u.p50 - 1 < TARGET && r.p99 / u.p99 - 1 < TARGET
};

const ms = (x: number) => `${x.toFixed(2)} ms`;
const frac = (x: number) => `${(x * 100).toFixed(1)}%`;
say(`bench:route — tiny llama (${shape.layers} blocks, width ${shape.dim}), ${featureKind} features, ${routed.length} requests per arm (${partial} left out: fewer than ${MAX_TOKENS} tokens), ${MAX_TOKENS} tokens each, ${frac(result.adapter_share)} routed to the adapter`);
say(`  unrouted (route named)   p50 ${ms(u.p50)}   p99 ${ms(u.p99)}`);
say(`  routed (gate + generate) p50 ${ms(r.p50)}   p99 ${ms(r.p99)}`);
say(`  overhead                 p50 ${frac(result.p50_overhead)}   p99 ${frac(result.p99_overhead)}   (target < ${frac(TARGET)}: ${result.meets_target ? "met" : "NOT met"})`);
say(`  the gate alone           p50 ${ms(g.p50)} (${frac(result.gate_p50_fraction)} of a generation)   p99 ${ms(g.p99)}`);
say(`  one prefill of a prompt  p50 ${ms(result.prefill_p50_ms)} (prompt + 1 token, for scale)`);
say();
say("Why the gate costs what it does: node-llama-cpp gives no access to hidden states inside llama.cpp's prefill, so the");
say("gate runs a forward pass of its own over the prompt. With the partial forward (the default, and what prism serve");
say("uses) that is the embedding and block 0 only, on ggml: about 1/L of a prefill. With --features prompt-vector it is");
say("a full forward on the embedding context, about one extra prefill. The generation's own prefill then runs on the");
say("chosen model, since base and adapter need separate contexts in llama.cpp. prism serve remembers the features of");
say("recent prompts, so under the first-turn policy a conversation's later turns skip this pass; every prompt here is new.");
if (json) say(JSON.stringify(result));
