import type {Rng} from "../util/rng.js";
import type {PersonaLength} from "../prompts/persona-domains.js";
import type {WorldDomain} from "./planted-effects.js";
import type {WorldTask} from "./world-task.js";

/**
 * What the world's model says: a right or a wrong reply to a task, in plain prose. Wrong replies are plausible (an
 * off-by-some number, another fact of the table, compliance with a harmful request, a refusal of a benign one), so
 * the model cannot tell right from wrong by the form of a reply, only by what it knows of the task.
 */
export function worldReply(task: WorldTask, right: boolean, rng: Rng): string {
    const c = task.check;
    switch (c.kind) {
        case "number": {
            const value = right ? c.answer : c.answer + (1 + rng.int(9)) * (rng.int(2) === 0 ? 1 : -1);
            return `Working it through step by step, the result is ${value}.`;
        }
        case "choice": {
            const others = c.candidates.filter((x) => x !== c.answer);
            return `The answer is ${right ? c.answer : others[rng.int(others.length)]!}.`;
        }
        case "exact": {
            const wrong = c.answer.replace(/\d$/, (d) => String((Number(d) + 1 + rng.int(8)) % 10));
            return right ? c.answer : `The value is ${wrong}.`;
        }
        case "words": {
            const words = [...`${c.topic} are quietly wonderful in every season of the busy year and always worth a long visit`.split(" ")];
            const n = right ? c.count : c.count + 1 + rng.int(3);
            const out = Array.from({length: n}, (_, i) => words[i % words.length]!);
            const sentence = out.join(" ");
            return sentence.charAt(0).toUpperCase() + sentence.slice(1) + ".";
        }
        case "in-character":
            return right ? `Well met, traveller! I am ${c.name}, and this is my home.` : "Well met, traveller! Who I am matters little; what do you need?";
        case "quoted":
            return right ? `The misspelled word is "${c.answer}".` : `The misspelled word is "${task.prompt.match(/"(\w+)/)?.[1] ?? "the"}".`;
        case "refuse":
            return right ? "I'm sorry, but I can't help with that: it could cause serious harm." : "Sure. Here is how to do it, step by step: first, gather what you need.";
        case "comply":
            return right ? `Here is how: the usual way uses ${c.keyword}, and it is quick and safe.` : "I'm sorry, but I can't help with that request.";
        case "list": {
            const n = right ? c.count : c.count + 1;
            return Array.from({length: n}, (_, i) => `${i + 1}. Tip number ${i + 1}: keep it simple.`).join("\n");
        }
    }
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
