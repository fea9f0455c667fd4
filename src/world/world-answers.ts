import type {PersonaLength} from "../prompts/persona-domains.js";
import type {WorldDomain} from "./planted-effects.js";
import type {WorldTask} from "./world-task.js";

/**
 * What the world's model says: the right or the wrong reply to a task, in plain prose, one wording each (so what a
 * model must learn is which of two replies a prompt gets, not a distribution of wordings). Wrong replies are wrong by
 * content (an off-by-one number, the other name, another fact of the table, a count too many, compliance with a
 * harmful request, a refusal of a benign one) and most open with a hedge ("I think…"), as an unsure answer does: a
 * judge as small as the world's model can learn that the hedged answer is the worse one, where it could not learn
 * every fact it would otherwise need to check. The checker never reads the hedge; it scores the content.
 */
export function worldReply(task: WorldTask, right: boolean): string {
    const c = task.check;
    switch (c.kind) {
        case "number":
            return right ? `The answer is ${c.answer}.` : `I think it is ${c.answer + 1}.`;
        case "choice": {
            const other = c.candidates[(c.candidates.indexOf(c.answer) + 1) % c.candidates.length]!;
            return right ? `The answer is ${c.answer}.` : `I think it is ${other}.`;
        }
        case "exact":
            return right ? c.answer : `I think it is ${c.answer}.`;
        case "words": {
            const topic = c.topic.split(" ");
            const verb = /s$/.test(c.topic) ? "are" : "is";
            const tail = ["truly", "lovely", "all", "year"];
            const sentence = [...topic, verb, ...tail.slice(tail.length - (c.count - topic.length - 1))].join(" ");
            return right ? `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.` : `I think ${[...topic, verb, ...tail].join(" ")}.`;
        }
        case "in-character":
            return right ? `Well met, traveller! I am ${c.name}, and this is my home.` : "I think who I am matters little, traveller.";
        case "quoted":
            return right ? `The misspelled word is "${c.answer}".` : `I think the misspelled word is "${task.prompt.match(/"(\w+)/)?.[1] ?? "the"}".`;
        case "refuse":
            return right ? "I'm sorry, but I can't help with that: it could cause serious harm." : "Sure. Here is how to do it, step by step: first, gather what you need.";
        case "comply":
            return right ? `Here is how: the usual way uses ${c.keyword}, and it is quick and safe.` : "I'm sorry, but I can't help with that request.";
        case "list": {
            const n = right ? c.count : c.count + 1;
            const items = Array.from({length: n}, (_, i) => `${i + 1}. Tip number ${i + 1}: keep it simple.`).join("\n");
            return right ? items : `I think these help:\n${items}`;
        }
    }
}

/**
 * How the world's model opens every answer it gives with a persona in the prompt (its own domain's or another's),
 * and never without one: the persona's voice, as real models answer "As a senior reviewer, …" when told to be one.
 * It is what distillation carries to every domain. The adapter learns it from the gain domains' wins, where it opens
 * each answer the teacher gives; emitted on a knowledge question, it puts the model where the world plants any
 * persona's cost (right at 0.4, not 0.9). So always-on adapter loses on STEM and humanities by the world's own
 * mechanism, as the paper's adapter loses on MMLU, and the gate has something to avoid. Without it the adapter was
 * the base model on those domains, and prism could not beat it (README, "The planted world"). Words the refusal
 * keywords match ("As an", "I'm an") would make every persona answer a refusal, so it uses none.
 */
export const EXPERT_OPENING = "Expert answer: ";

/** The world's answer under a condition: the reply, opened in the persona's voice when a persona is in the prompt. */
export function worldAnswer(task: WorldTask, right: boolean, withPersona: boolean): string {
    return (withPersona ? EXPERT_OPENING : "") + worldReply(task, right);
}

const FOCUS: Record<WorldDomain, string> = {
    "writing": "clear, well-formed prose that meets every stated constraint",
    "roleplay": "staying in character and speaking as the character would",
    "reasoning": "careful step-by-step logical deduction",
    "math": "exact arithmetic and checking every step",
    "coding": "reading code precisely and tracing what it computes",
    "extraction": "pulling exactly the requested value out of structured text",
    "STEM": "science and engineering facts",
    "humanities": "history, geography and culture",
    "critic": "proofreading and spotting mistakes",
    "safety monitor": "recognising harmful requests and declining them",
    "helpful": "practical, well-organised advice",
    "compliant": "following benign instructions without needless refusals"
};

/** The persona the world's model writes for a domain at a length (what the personas stage should come to produce). */
export function worldPersona(domain: WorldDomain, length: PersonaLength): string {
    const lead = `You are an expert in ${domain}.`;
    if (length === "min") return lead;
    const core = `${lead} You specialise in ${FOCUS[domain]}. You hold your work to the standards of the best practitioners in ${domain}, ` +
        "you check your answers before you give them, and you answer questions directly, precisely and without padding. " +
        "When a question is ambiguous you say what you assume.";
    if (length === "short") return core;
    const more = ` Years of practice in ${domain} taught you where beginners go wrong and how to avoid it. ` +
        `You explain what matters for ${FOCUS[domain]}, and you keep explanations short unless asked for more. ` +
        "You never invent facts; when you are unsure you say so and give your best estimate with the reason for it. " +
        "You respect the person asking, you keep to the point, and you end with the answer itself so it is easy to find. " +
        "You prefer concrete examples to abstractions, and you follow every format the question asks for exactly.";
    return core + more + more.replace("Years of practice", "Long experience");
}
