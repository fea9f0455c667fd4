import type {PrismEngine, RoutableRequest, RouteInfo} from "../../engine/engine.js";
import type {EngineMiddleware, RequestKind} from "../../engine/middleware.js";
import {UsageError} from "../../util/prism-error.js";
import {adapterFor, type Condition} from "../condition.js";

/** The model under test as one condition sees it: which adapter each request runs with, and the gate's route for `prism`. */
export type ConditionEngine = {
    engine: PrismEngine,
    /** Whether the model's chat template has a system role (a system-turn persona goes in the user turn if not). */
    supportsSystemRole: boolean,
    /** Sets the request's adapter for the condition; for `prism` the router decides and the route comes back. */
    route<R extends RoutableRequest>(request: R, kind: RequestKind): Promise<R & {adapter: string | null, route?: RouteInfo}>
};

/**
 * Applies the router ourselves rather than through `wrapEngine`, because scoring results carry no route: eval needs
 * the gate's decision for every request kind to report routing shares.
 */
export function conditionEngine(options: {engine: PrismEngine, condition: Condition, adapter?: string, router?: EngineMiddleware}): ConditionEngine {
    const {engine, condition, router} = options;
    if (condition.kind === "prism" && !router?.transformRequest)
        throw new UsageError("the prism condition needs a gate router", {hint: "pass --run DIR (a bootstrap run with an adapter and a gate), or drop prism from --conditions"});
    const fixed = adapterFor(condition, options.adapter);
    return {
        engine, supportsSystemRole: supportsSystemRole(engine),
        async route(request, kind) {
            if (fixed !== undefined) return {...request, adapter: fixed};
            const routed = await router!.transformRequest!({...request, adapter: undefined}, {engine, kind});
            return {...routed, adapter: routed.adapter ?? null};
        }
    };
}

/** The llama engine knows its template; a server (OpenAI engine) applies its own, which we assume has a system role. */
export function supportsSystemRole(engine: PrismEngine): boolean {
    const tokenizer = (engine as {chatTokenizer?: {supportsSystemRole?: boolean}}).chatTokenizer;
    return tokenizer?.supportsSystemRole ?? true;
}
