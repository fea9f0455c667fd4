import path from "node:path";
import type {ChatMessage} from "../../src/engine/engine.js";
import type {LlamaEngine} from "../../src/engine/llama-engine.js";
import type {Gate} from "../../src/gate/gate.js";
import type {GateFeatures} from "../../src/gate/gate-features.js";
import {saveGate} from "../../src/gate/gate-file.js";
import {partialForwardFeatures, type PartialForwardFeatures} from "../../src/gate/partial-forward-features.js";
import {trainGate} from "../../src/gate/train-gate.js";

/** Prompts a persona should help with (label 1) and knowledge questions (label 0). */
export const personaPrompts = ["Review this plan as a safety auditor.", "Critique my essay's structure.", "Act as a mentor: how do I give feedback?", "Write a poem about courage.", "Audit this contract for risks.", "Coach me through a hard conversation."];
export const knowledgePrompts = ["What is the capital of France?", "How many legs does a spider have?", "Who wrote Hamlet?", "What is 12 times 12?", "When did the Berlin Wall fall?", "What is the boiling point of water?"];
export const gatePrompts = [...personaPrompts, ...knowledgePrompts];

export const userTurn = (content: string): ChatMessage[] => [{role: "user", content}];

/**
 * The product's gate features for `engine`'s model: block 0's state from the partial forward, on the prompt formatted
 * by the engine's own chat tokenizer, exactly as `prism serve` and `openRunRouter` compute them. Dispose it.
 */
export function engineGateFeatures(engine: LlamaEngine): Promise<PartialForwardFeatures> {
    return partialForwardFeatures({modelPath: engine.modelPath, tokenizer: engine.chatTokenizer, threads: engine.threads, device: "cpu"});
}

/**
 * A logistic-regression gate trained on `features` of the prompts above. On a random tiny model the features carry
 * no meaning, but the gate separates its training prompts, so both routes occur among them.
 */
export async function trainTinyGate(features: GateFeatures): Promise<Gate> {
    const vectors = [];
    for (const p of gatePrompts) vectors.push(await features.extract(userTurn(p)));
    const {gate} = await trainGate({
        features: vectors, labels: gatePrompts.map((p) => (personaPrompts.includes(p) ? 1 : 0)), definition: features.definition,
        modelFingerprint: features.modelFingerprint, kind: "logreg", heldOutIndices: [0, 1, 6, 7], seed: 1
    });
    return gate;
}

/** The same gate saved as `gate.json` in `dir`; returns the file and the gate. */
export async function tinyGateFile(features: GateFeatures, dir: string): Promise<{file: string, gate: Gate}> {
    const gate = await trainTinyGate(features);
    const file = path.join(dir, "gate.json");
    await saveGate(file, gate);
    return {file, gate};
}
