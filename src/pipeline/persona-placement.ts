import {z} from "zod";

export const PersonaPlacement = z.enum(["system", "user"]);
export type PersonaPlacement = z.infer<typeof PersonaPlacement>;

/**
 * Where the persona goes for a model: the system turn only when asked for and the chat template has one, else in
 * front of the first user message. (The messages themselves come from the trainer's `teacherMessages`, so the
 * persona answers and the distillation teacher see the persona in exactly the same place.)
 */
export function effectivePlacement(placement: PersonaPlacement, supportsSystemRole: boolean): PersonaPlacement {
    return placement === "system" && supportsSystemRole ? "system" : "user";
}
