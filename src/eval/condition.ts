import type {ChatMessage} from "../engine/engine.js";
import {placePersona, type PersonaPlacement} from "../train/persona-placement.js";
import {UsageError} from "../util/prism-error.js";
import {domainForCategory} from "./personas/category-domain.js";
import {normalizeDomain, PERSONA_DOMAINS, PERSONA_LENGTHS, type PersonaDomain, type PersonaLength} from "./personas/persona-domain.js";
import type {PersonaSet} from "./personas/persona-set.js";

export type {PersonaPlacement};

/**
 * What the model is run under:
 * - `base`: the untouched model, no persona.
 * - `persona:<min|short|long>:<system|user>[:<domain>|:random]`: a persona prepended as the system message or to the
 *   first user turn. Without a domain, the domain matching the item's category (see category-domain.ts); with one,
 *   that domain for every item; `random` is the control for "any added context": for each item a persona of another
 *   domain than the matching one, picked by a hash of the item id (the same for every run and condition).
 * - `adapter`: the persona adapter on for every request.
 * - `prism`: the gate decides per request (a routing middleware sets the adapter).
 */
export type Condition =
    | {kind: "base"}
    | {kind: "persona", length: PersonaLength, placement: PersonaPlacement, domain: PersonaDomain | "matching" | "random"}
    | {kind: "adapter"}
    | {kind: "prism"};

export function parseCondition(spec: string): Condition {
    const parts = spec.trim().split(":");
    const head = parts[0];
    if ((head === "base" || head === "adapter" || head === "prism") && parts.length === 1) return {kind: head};
    if (head === "persona" && parts.length <= 4) {
        const length = parts[1] ?? "short";
        const placement = parts[2] ?? "system";
        const domainPart = parts[3];
        if (!(PERSONA_LENGTHS as readonly string[]).includes(length)) throw conditionError(spec, `persona length "${length}" is not one of ${PERSONA_LENGTHS.join(", ")}`);
        if (placement !== "system" && placement !== "user") throw conditionError(spec, `placement "${placement}" is not system or user`);
        let domain: PersonaDomain | "matching" | "random" = "matching";
        if (domainPart !== undefined) {
            const d = domainPart === "random" ? "random" : normalizeDomain(domainPart);
            if (!d) throw conditionError(spec, `unknown persona domain "${domainPart}" (domains: ${PERSONA_DOMAINS.join(", ")}, or random)`);
            domain = d;
        }
        return {kind: "persona", length: length as PersonaLength, placement, domain};
    }
    throw conditionError(spec, "expected base, adapter, prism or persona:<min|short|long>:<system|user>[:<domain>|:random]");
}

function conditionError(spec: string, reason: string): UsageError {
    return new UsageError(`bad condition "${spec}": ${reason}`, {hint: "e.g. --conditions base,persona:short:system,persona:long:user,adapter,prism"});
}

/** The canonical id: `persona` alone becomes `persona:short:system`. Used as the log file name and in reports. */
export function conditionId(c: Condition): string {
    if (c.kind !== "persona") return c.kind;
    return `persona:${c.length}:${c.placement}${c.domain === "matching" ? "" : `:${c.domain}`}`;
}

/** A persona chosen for one item, or null for conditions without one. */
export type ChosenPersona = {domain: PersonaDomain, text: string};

export function personaFor(c: Condition, personas: PersonaSet, benchmark: "mmlu" | "mt-bench" | "safety" | "world", category: string, itemId: string): ChosenPersona | null {
    if (c.kind !== "persona") return null;
    const matching = domainForCategory(benchmark, category);
    const domain = c.domain === "matching" ? matching : c.domain === "random" ? randomOtherDomain(matching, itemId) : c.domain;
    return {domain, text: personas.texts[domain][c.length]};
}

/** A domain other than `matching`, from a hash of the item id: deterministic, spread evenly over the other eleven. */
export function randomOtherDomain(matching: PersonaDomain, itemId: string): PersonaDomain {
    const others = PERSONA_DOMAINS.filter((d) => d !== matching);
    let h = 0x811c9dc5;
    for (let i = 0; i < itemId.length; i++) h = Math.imul(h ^ itemId.charCodeAt(i), 0x01000193) >>> 0;
    return others[h % others.length]!;
}

/**
 * The conversation with the persona in place, by the same function the pipeline's persona answers and the
 * distillation teacher use (placePersona): the system turn when asked for and the template has one, else in front
 * of the first user turn.
 */
export function withPersona(messages: readonly ChatMessage[], persona: ChosenPersona | null, placement: PersonaPlacement, supportsSystemRole: boolean): ChatMessage[] {
    return persona ? placePersona(messages, persona.text, placement, supportsSystemRole) : [...messages];
}

/** The adapter a request runs with under a condition (`adapter` forces it; `prism` leaves it to the router). */
export function adapterFor(c: Condition, adapterName: string | undefined): string | null | undefined {
    if (c.kind === "adapter") {
        if (!adapterName) throw new UsageError("the adapter condition needs an adapter", {hint: "pass --adapter FILE or --run DIR (a bootstrap run with an adapter)"});
        return adapterName;
    }
    return c.kind === "prism" ? undefined : null;
}
