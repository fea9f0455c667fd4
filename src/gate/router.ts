import type {ConversationMessage, GenerateResult, PrismEngine, RouteInfo, SamplingOptions, StreamPart} from "../engine/engine.js";
import {wrapEngine} from "../engine/middleware.js";
import {NoSuchAdapterError} from "../engine/engine-errors.js";
import {gateRouter, type GateRouter, type GateRouterOptions} from "./gate-router.js";

export type CreateRouterOptions = GateRouterOptions & {
    /** The engine with the adapter registered (under `adapter`). */
    engine: PrismEngine
};

export type RoutedGenerateOptions = SamplingOptions & {signal?: AbortSignal};
export type RoutedGenerateResult = GenerateResult & {route: RouteInfo};

export type Router = {
    /** The engine with the routing middleware in front: use it wherever an engine is expected. */
    readonly engine: PrismEngine,
    readonly middleware: GateRouter,
    /** The route for a conversation, without generating. */
    decide(messages: readonly ConversationMessage[]): Promise<RouteInfo>,
    /** Routes, then generates: the text, the route taken and the gate's score. */
    generate(messages: readonly ConversationMessage[], options?: RoutedGenerateOptions): Promise<RoutedGenerateResult>,
    /** Routes, then streams; the first part is the route. */
    stream(messages: readonly ConversationMessage[], options?: RoutedGenerateOptions): AsyncIterable<StreamPart>
};

/**
 * Routed inference: one gate decision per conversation turn, made on the prompt before generation, then the
 * adapter or the base model answers. A thin layer over `gateRouter` and `wrapEngine`; it does not own the engine.
 */
export function createRouter(options: CreateRouterOptions): Router {
    const {engine, adapter} = options;
    const known = engine.listAdapters().map((a) => a.name);
    if (!known.includes(adapter)) throw new NoSuchAdapterError(adapter, known);
    const middleware = gateRouter(options);
    const routed = wrapEngine({engine, middleware: [middleware]});
    return {
        engine: routed,
        middleware,
        decide: (messages) => middleware.decide(messages),
        async generate(messages, generateOptions = {}) {
            const [result] = await routed.generate([{...generateOptions, messages}]);
            return result as RoutedGenerateResult;
        },
        stream: (messages, streamOptions = {}) => routed.stream({...streamOptions, messages})
    };
}
