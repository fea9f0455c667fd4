import type {RouteInfo} from "../engine/engine.js";

/**
 * How a response tells the client which model answered: the `prism` field of a chat completion (and of the first
 * chunk of a stream), beside OpenAI's own fields, which clients ignore unless they look for it.
 */
export type PrismRouteField = {
    route: "base" | "adapter",
    /** The adapter's name, or `null` for the base model. */
    adapter: string | null,
    /** The gate's probability that the adapter helps; `null` when the route was named explicitly. */
    gate_score: number | null,
    /** "gate": decided on this request; "reused": the first user turn's decision (first-turn policy); "explicit": named by `model`. */
    reason: RouteInfo["reason"]
};

export function prismRouteField(route: RouteInfo): PrismRouteField {
    return {route: route.adapter === null ? "base" : "adapter", adapter: route.adapter, gate_score: route.score, reason: route.reason};
}

/** The same as response headers: `x-prism-route`, `x-prism-route-reason`, and `x-prism-adapter` / `x-prism-gate-score` when they apply. */
export function prismRouteHeaders(route: RouteInfo): Record<string, string> {
    return {
        "x-prism-route": route.adapter === null ? "base" : "adapter",
        "x-prism-route-reason": route.reason,
        ...(route.adapter !== null ? {"x-prism-adapter": route.adapter} : {}),
        ...(route.score !== null ? {"x-prism-gate-score": String(route.score)} : {})
    };
}
