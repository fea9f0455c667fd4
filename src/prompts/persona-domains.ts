import {z} from "zod";

/** The PRISM paper's twelve domains: eight task domains (MT-Bench's categories) and four behavioural ones. */
export const DEFAULT_DOMAINS = [
    "writing", "roleplay", "reasoning", "math", "coding", "extraction", "STEM", "humanities",
    "critic", "safety monitor", "helpful", "compliant"
] as const;

/** The persona lengths the pipeline asks the model to write. */
export const PersonaLength = z.enum(["min", "short", "long"]);
export type PersonaLength = z.infer<typeof PersonaLength>;
