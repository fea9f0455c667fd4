import type {ConversationMessage, RouteInfo} from "../engine/engine.js";
import type {EngineMiddleware} from "../engine/middleware.js";
import type {Gate} from "./gate.js";
import {describeFeatureDefinition, sameFeatureDefinition, type GateFeatures} from "./gate-features.js";
import {GateMismatchError} from "./gate-mismatch-error.js";
import {decisionPrompt, type RoutingPolicy} from "./routing-policy.js";

export type GateRouterOptions = {
    gate: Gate,
    /** Computes the gate's features; must be the model and feature definition the gate was trained for. */
    features: GateFeatures,
    /** The adapter's name as registered in the engine. */
    adapter: string,
    /** Defaults to `"first-turn"`. */
    policy?: RoutingPolicy,
    /** Skips the gate: every request goes to the base model or to the adapter (route reason `"explicit"`). */
    force?: "base" | "adapter"
};

export type GateRouter = EngineMiddleware & {
    /** The route for a conversation, without generating. */
    decide(messages: readonly ConversationMessage[]): Promise<RouteInfo>
};

/**
 * The routing middleware: for each request that does not name an adapter itself, scores the prompt with the gate
 * and sets `adapter` (the adapter's name, or `null` for the base model) and `route` ({adapter, score, reason}).
 * A request that sets `adapter` (a name or `null`) keeps it, with reason `"explicit"`; prompt-vector requests pass
 * through untouched. Serve, eval and the pipeline
 * wrap their engine with it (`wrapEngine({engine, middleware: [gateRouter(…)]})`), so routing is one mechanism.
 */
export function gateRouter({gate, features, adapter, policy = "first-turn", force}: GateRouterOptions): GateRouter {
    if (features.modelFingerprint !== gate.modelFingerprint) throw new GateMismatchError("gate router", "modelFingerprint", gate.modelFingerprint, features.modelFingerprint);
    if (!sameFeatureDefinition(features.definition, gate.features)) {
        throw new GateMismatchError("gate router", "features", describeFeatureDefinition(gate.features), describeFeatureDefinition(features.definition));
    }
    const decide = async (messages: readonly ConversationMessage[]): Promise<RouteInfo> => {
        if (force) return {adapter: force === "adapter" ? adapter : null, score: null, reason: "explicit"};
        const prompt = decisionPrompt(messages, policy);
        const {useAdapter, score} = gate.decide(await features.extract(prompt.messages));
        return {adapter: useAdapter ? adapter : null, score, reason: prompt.reused ? "reused" : "gate"};
    };
    return {
        decide,
        async transformRequest(request, {kind}) {
            // Prompt vectors describe the prompt to the base model (they are what a gate reads), so they are never routed.
            if (kind === "promptVector") return request;
            if (request.adapter !== undefined) return {...request, route: request.route ?? {adapter: request.adapter, score: null, reason: "explicit"}};
            const route = await decide(request.messages);
            return {...request, adapter: route.adapter, route};
        }
    };
}
