import type {
    ContinuationScore, GenerateRequest, GenerateResult, ObjectRequest, ObjectResult, PrismEngine, PromptVectorRequest,
    RoutableRequest, ScoreRequest, StreamPart, TopLogprobsRequest, TopLogprobsResult
} from "./engine.js";

export type RequestKind = "generate" | "stream" | "object" | "score" | "topLogprobs" | "promptVector";

/**
 * An object of optional hooks around an engine. The gate router is one: it reads the messages, sets `adapter` and
 * `route`. The first middleware in the list sees the request first.
 */
export type EngineMiddleware = {
    transformRequest?<R extends RoutableRequest>(request: R, context: {engine: PrismEngine, kind: RequestKind}): R | Promise<R>
};

/** Settings applied to every request that does not set them itself. */
export function defaultSettings(defaults: Partial<Omit<GenerateRequest, "messages">>): EngineMiddleware {
    return {
        transformRequest(request) {
            return {...defaults, ...Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined))} as typeof request;
        }
    };
}

/** An engine whose requests pass through `middleware` first; results carry the route the middleware chose. */
export function wrapEngine({engine, middleware}: {engine: PrismEngine, middleware: readonly EngineMiddleware[]}): PrismEngine {
    const transform = async <R extends RoutableRequest>(request: R, kind: RequestKind): Promise<R> => {
        let r = request;
        for (const m of middleware) if (m.transformRequest) r = await m.transformRequest(r, {engine, kind});
        return r;
    };
    const withRoute = <T extends {adapter: string | null}>(result: T, request: RoutableRequest): T =>
        request.route ? {...result, route: request.route} : result;
    const wrapped: PrismEngine = {
        specificationVersion: "v1",
        engineId: engine.engineId,
        modelId: engine.modelId,
        capabilities: engine.capabilities,
        async generate(requests, options): Promise<GenerateResult[]> {
            const transformed = await Promise.all(requests.map((r) => transform(r, "generate")));
            const results = await engine.generate(transformed, options);
            return results.map((res, i) => withRoute(res, transformed[i]!));
        },
        async *stream(request): AsyncIterable<StreamPart> {
            const r = await transform(request, "stream");
            if (r.route) yield {type: "route", route: r.route};
            yield* engine.stream(r);
        },
        async generateObject<T>(request: ObjectRequest): Promise<ObjectResult<T>> {
            return engine.generateObject<T>(await transform(request, "object"));
        },
        async scoreContinuations(request: ScoreRequest): Promise<ContinuationScore[]> {
            return engine.scoreContinuations(await transform(request, "score"));
        },
        async topLogprobs(request: TopLogprobsRequest): Promise<TopLogprobsResult> {
            return engine.topLogprobs(await transform(request, "topLogprobs"));
        },
        async promptVector(request: PromptVectorRequest): Promise<Float32Array> {
            return engine.promptVector(await transform(request, "promptVector"));
        },
        listAdapters: () => engine.listAdapters(),
        loadAdapter: (name, source, options) => engine.loadAdapter(name, source, options),
        // The wrapper does not own the engine: disposing it leaves the engine to its owner.
        dispose: async () => undefined,
        [Symbol.asyncDispose]: async () => undefined
    };
    return wrapped;
}
