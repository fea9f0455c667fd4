import {WORLD_DOMAINS} from "../../world/planted-effects.js";
import {worldPersona} from "../../world/world-answers.js";
import {normalizeDomain, type PersonaDomain, type PersonaLength} from "./persona-domain.js";
import type {PersonaSet} from "./persona-set.js";

export const WORLD_REFERENCE_PERSONAS = "the world's reference personas (worldPersona)";

/** The personas the world's model is taught to write (worldPersona), as a persona set: the default for world tasks. */
export function worldPersonaSet(): PersonaSet {
    const texts = {} as Record<PersonaDomain, Record<PersonaLength, string>>;
    const sources = {} as Record<PersonaDomain, string>;
    for (const domain of WORLD_DOMAINS) {
        const id = normalizeDomain(domain)!;
        texts[id] = {min: worldPersona(domain, "min"), short: worldPersona(domain, "short"), long: worldPersona(domain, "long")};
        sources[id] = WORLD_REFERENCE_PERSONAS;
    }
    return {texts, sources};
}

/** A loaded persona set for world tasks: domains it took from the built-in texts get the world's reference persona instead. */
export function worldPersonasFrom(set: PersonaSet): PersonaSet {
    const world = worldPersonaSet();
    const out: PersonaSet = {texts: {...set.texts}, sources: {...set.sources}};
    for (const d of Object.keys(out.sources) as PersonaDomain[])
        if (out.sources[d] === "builtin") [out.texts[d], out.sources[d]] = [world.texts[d], world.sources[d]];
    return out;
}
