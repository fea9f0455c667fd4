/**
 * The twelve persona domains of the PRISM paper: the eight MT-Bench task types plus four behaviour personas.
 * Ids use underscores; files may spell them with spaces or dashes ("safety monitor").
 */
export const PERSONA_DOMAINS = [
    "writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities",
    "critic", "safety_monitor", "helpful", "compliant"
] as const;
export type PersonaDomain = typeof PERSONA_DOMAINS[number];

export const PERSONA_LENGTHS = ["min", "short", "long"] as const;
export type PersonaLength = typeof PERSONA_LENGTHS[number];

/** `"Safety Monitor"`, `"safety-monitor"` → `"safety_monitor"`; undefined when it names no domain. */
export function normalizeDomain(name: string): PersonaDomain | undefined {
    const id = name.trim().toLowerCase().replace(/[\s-]+/g, "_");
    return (PERSONA_DOMAINS as readonly string[]).includes(id) ? id as PersonaDomain : undefined;
}
