import {z} from "zod";
import type {ChatMessage} from "../model/chat-tokenizer.js";

export const PersonaPlacement = z.enum(["system", "user"]);
export type PersonaPlacement = z.infer<typeof PersonaPlacement>;

/**
 * Where the persona really goes for a model: the system turn only when asked for and the chat template has one,
 * else in front of the first user message.
 */
export function effectivePlacement(placement: PersonaPlacement, supportsSystemRole: boolean): PersonaPlacement {
    return placement === "system" && supportsSystemRole ? "system" : "user";
}

/**
 * The one function that puts a persona into a conversation. The pipeline's persona answers, the distillation
 * teacher and every eval condition call it, so a "system turn" persona in eval is exactly what the teacher saw.
 * System turn: the persona before an existing system prompt (blank line between) or as the system message. User
 * turn (asked for, or a template without a system role): the persona and any system prompt, each followed by a
 * blank line, in front of the first user message; later turns do not repeat it.
 */
export function placePersona(messages: readonly ChatMessage[], persona: string, placement: PersonaPlacement, supportsSystemRole: boolean): ChatMessage[] {
    const system = messages.find((m) => m.role === "system");
    const rest = messages.filter((m) => m !== system);
    if (effectivePlacement(placement, supportsSystemRole) === "system")
        return [{role: "system", content: system ? `${persona}\n\n${system.content}` : persona}, ...rest];
    const firstUser = rest.findIndex((m) => m.role === "user");
    return rest.map((m, i) => (i === firstUser ? {role: "user", content: `${persona}\n\n${system ? system.content + "\n\n" : ""}${m.content}`} : m));
}
