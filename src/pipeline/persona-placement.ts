import {z} from "zod";
import type {ChatMessage} from "../engine/engine.js";

export const PersonaPlacement = z.enum(["system", "user"]);
export type PersonaPlacement = z.infer<typeof PersonaPlacement>;

/**
 * The persona's conversation for a query: the persona as the system turn, or in front of the first user message
 * (with `placement: "user"`, or when the chat template has no system role). The answers, the teacher of the
 * distillation and nothing else see it: the student and the gate see the query alone.
 */
export function withPersona(messages: readonly ChatMessage[], persona: string, placement: PersonaPlacement, supportsSystemRole: boolean): ChatMessage[] {
    if (placement === "system" && supportsSystemRole) {
        const system = messages.find((m) => m.role === "system");
        const rest = messages.filter((m) => m !== system);
        return [{role: "system", content: system ? `${persona}\n\n${system.content}` : persona}, ...rest];
    }
    const firstUser = messages.findIndex((m) => m.role === "user");
    return messages.map((m, i) => (i === firstUser ? {role: "user", content: `${persona}\n\n${m.content}`} : m));
}

/** The placement actually used: the system turn only when asked for and the template has one. */
export function effectivePlacement(placement: PersonaPlacement, supportsSystemRole: boolean): PersonaPlacement {
    return placement === "system" && supportsSystemRole ? "system" : "user";
}
