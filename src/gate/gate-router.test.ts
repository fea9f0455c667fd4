import {describe, expect, it} from "vitest";
import type {ChatMessage, GenerateRequest} from "../engine/engine.js";
import {Gate} from "./gate.js";
import type {GateFeatures} from "./gate-features.js";
import {gateRouter} from "./gate-router.js";
import {Mlp} from "./mlp.js";
import {Standardizer} from "./standardizer.js";

const width = 4;
const definition = {layer: 1, position: "last-prompt-token" as const, width};

/** Logistic regression on feature 0 alone: score = sigmoid(x0). */
const gate = new Gate({
    kind: "logreg",
    net: Mlp.fromLayers([{inputWidth: width, outputWidth: 1, weight: Float32Array.of(1, 0, 0, 0), bias: Float32Array.of(0)}]),
    standardizer: new Standardizer(new Float32Array(width), new Float32Array(width).fill(1)),
    threshold: 0.5, features: definition, modelFingerprint: "sha256:m"
});

/** Features whose first channel is +3 when the prompt's last user message asks for "#persona", else −3; records each prompt. */
function keywordFeatures(overrides: Partial<GateFeatures> = {}): GateFeatures & {seen: ChatMessage[][]} {
    const seen: ChatMessage[][] = [];
    return {
        definition, modelFingerprint: "sha256:m", seen,
        async extract(messages) {
            seen.push(messages.map((m) => ({role: m.role === "tool" ? "user" : m.role, content: m.content})));
            const lastUser = messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
            return Float32Array.of(lastUser.includes("#persona") ? 3 : -3, 0, 0, 0);
        },
        ...overrides
    };
}

const user = (content: string): ChatMessage => ({role: "user", content});
const assistant = (content: string): ChatMessage => ({role: "assistant", content});
const system: ChatMessage = {role: "system", content: "Be brief."};
const conversation = [system, user("#persona review this plan"), assistant("ok"), user("what is the capital of France?")];
const context = {engine: undefined as never, kind: "generate" as const}; // the middleware never touches the engine

describe("gateRouter", () => {
    it("routes a single turn by the gate's score", async () => {
        const router = gateRouter({gate, features: keywordFeatures(), adapter: "persona"});
        expect(await router.decide([user("#persona write a safety review")])).toEqual({adapter: "persona", score: 1 / (1 + Math.exp(-3)), reason: "gate"});
        expect(await router.decide([user("what is 2 + 2?")])).toMatchObject({adapter: null, reason: "gate"});
    });

    it("first-turn: decides on the first user turn (with the system prompt before it) and reuses it later", async () => {
        const features = keywordFeatures();
        const router = gateRouter({gate, features, adapter: "persona"});
        expect(await router.decide(conversation)).toMatchObject({adapter: "persona", reason: "reused"});
        expect(features.seen).toEqual([conversation.slice(0, 2)]);
    });

    it("per-turn: decides on the conversation up to the latest user turn", async () => {
        const features = keywordFeatures();
        const router = gateRouter({gate, features, adapter: "persona", policy: "per-turn"});
        expect(await router.decide(conversation)).toMatchObject({adapter: null, reason: "gate"});
        expect(features.seen).toEqual([conversation]);
        expect(await router.decide([...conversation, assistant("Paris")])).toMatchObject({adapter: null, reason: "gate"});
        expect(features.seen[1]).toEqual(conversation);
    });

    it("sets adapter and route on requests, and leaves an explicit adapter alone", async () => {
        const features = keywordFeatures();
        const router = gateRouter({gate, features, adapter: "persona"});
        const routed = await router.transformRequest!<GenerateRequest>({messages: [user("#persona hi")], maxTokens: 5}, context);
        expect(routed).toMatchObject({adapter: "persona", maxTokens: 5, route: {adapter: "persona", reason: "gate"}});
        for (const adapter of [null, "other"]) {
            const kept = await router.transformRequest!<GenerateRequest>({messages: [user("#persona hi")], adapter}, context);
            expect(kept).toMatchObject({adapter, route: {adapter, score: null, reason: "explicit"}});
        }
        expect(features.seen).toHaveLength(1);
        const vector = await router.transformRequest!({messages: [user("#persona hi")]}, {...context, kind: "promptVector"});
        expect(vector).toEqual({messages: [user("#persona hi")]});
    });

    it("forced routes skip the gate; infinite thresholds give the same routes through it", async () => {
        const features = keywordFeatures();
        const prompts = [[user("#persona a")], [user("b")]];
        for (const messages of prompts) {
            expect(await gateRouter({gate, features, adapter: "persona", force: "adapter"}).decide(messages)).toEqual({adapter: "persona", score: null, reason: "explicit"});
            expect(await gateRouter({gate, features, adapter: "persona", force: "base"}).decide(messages)).toEqual({adapter: null, score: null, reason: "explicit"});
        }
        expect(features.seen).toHaveLength(0);
        for (const messages of prompts) {
            expect((await gateRouter({gate: gate.withThreshold(-Infinity), features, adapter: "persona"}).decide(messages)).adapter).toBe("persona");
            expect((await gateRouter({gate: gate.withThreshold(Infinity), features, adapter: "persona"}).decide(messages)).adapter).toBeNull();
        }
    });

    it("refuses features from another model or of another definition", () => {
        expect(() => gateRouter({gate, features: keywordFeatures({modelFingerprint: "sha256:other"}), adapter: "persona"}))
            .toThrow(/made for model sha256:m, but is used with sha256:other/);
        expect(() => gateRouter({gate, features: keywordFeatures({definition: {...definition, layer: 2}}), adapter: "persona"}))
            .toThrow(/last-prompt-token after block 0 \(layer 1\), width 4, but is used with last-prompt-token after block 1 \(layer 2\)/);
    });
});
