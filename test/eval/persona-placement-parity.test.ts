import {getLlama, GemmaChatWrapper, LlamaLogLevel, type LlamaModel, resolveChatWrapper} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LlamaChatTokenizer} from "../../src/engine/llama-chat-tokenizer.js";
import {withPersona} from "../../src/eval/condition.js";
import {effectivePlacement} from "../../src/train/persona-placement.js";
import {tokenizeExamples} from "../../src/train/training-example.js";
import {tinyModel} from "../helpers/tiny-models.js";

// The eval prompt for a persona condition must be token for token the prompt the distillation teacher saw for the same
// persona and placement: both go through placePersona, and the pipeline's answers stage records the effective
// placement that the distill stage hands the teacher (teacherInSystemTurn).
let model: LlamaModel;
beforeAll(async () => {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    model = await llama.loadModel({modelPath: await tinyModel(), vocabOnly: true});
});
afterAll(async () => {
    await model?.dispose();
});

describe("persona placement: eval prompt = teacher prompt", () => {
    const persona = "You are a careful mathematician who checks every step.";
    const question = "Prove that the square root of two is irrational.";

    for (const [name, wrapper] of [["a template with a system role (the model's ChatML)", () => resolveChatWrapper(model)!], ["a template without one (Gemma)", () => new GemmaChatWrapper()]] as const) {
        it(`for ${name}, at both placements`, () => {
            const tokenizer = new LlamaChatTokenizer(model, wrapper());
            for (const placement of ["system", "user"] as const) {
                const evalPrompt = tokenizer.formatPrompt(withPersona([{role: "user", content: question}], {domain: "math", text: persona}, placement, tokenizer.supportsSystemRole));
                // The answers stage stores effectivePlacement(...) and the distill stage passes teacherInSystemTurn = (placement === "system").
                const recorded = effectivePlacement(placement, tokenizer.supportsSystemRole);
                const {examples} = tokenizeExamples([{path: "train.jsonl", line: 1, record: {messages: [{role: "user", content: question}, {role: "assistant", content: "Suppose not."}], teacher_system: persona}}],
                    tokenizer, {maxLen: 1024, needTeacher: true, teacherInSystemTurn: recorded === "system"});
                expect(evalPrompt).toEqual(examples[0]!.teacherPrompt);
                // And the persona really is in the prompt, in the system turn only where the template has one.
                const text = tokenizer.detokenize(evalPrompt);
                expect(text).toContain(persona);
                expect(text.indexOf(persona) < text.indexOf(question)).toBe(true);
            }
            if (!tokenizer.supportsSystemRole) {
                const sys = tokenizer.formatPrompt(withPersona([{role: "user", content: question}], {domain: "math", text: persona}, "system", false));
                const user = tokenizer.formatPrompt(withPersona([{role: "user", content: question}], {domain: "math", text: persona}, "user", false));
                expect(sys).toEqual(user);
            }
        });
    }
});
