import {z} from "zod";
import type {PrismEngine} from "../engine/engine.js";
import {admitRequest} from "./admit-request.js";
import {sendJson} from "./json-response.js";
import {readJsonRequest} from "./read-json-body.js";
import type {RequestQueue} from "./request-queue.js";
import type {ServedModels} from "./served-models.js";
import type {ServeRequest} from "./serve-request.js";
import type {ServerMetrics} from "./server-metrics.js";

export type EmbeddingsDeps = {engine: PrismEngine, models: ServedModels, queue: RequestQueue, metrics: ServerMetrics, maxBodyBytes: number};

const EmbeddingsRequest = z.looseObject({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(z.string()).min(1)]),
    /** The official openai SDK asks for base64 (little-endian float32) unless told otherwise. */
    encoding_format: z.enum(["float", "base64"]).nullish()
});

/**
 * POST /v1/embeddings: the engine's prompt vector of each input as a user message. Vectors describe the prompt to
 * the base model (they are what a gate reads), so a routed model name is never routed here.
 */
export async function embeddings(deps: EmbeddingsDeps, request: ServeRequest): Promise<void> {
    const {model, input, encoding_format: encoding} = await readJsonRequest(request.req, deps.maxBodyBytes, EmbeddingsRequest);
    request.record.model = model;
    const target = deps.models.resolve(model);
    const adapter = target.kind === "gate" ? undefined : target.adapter;
    const release = await admitRequest(deps.queue, deps.metrics, request);
    try {
        const data = [];
        for (const [index, text] of (typeof input === "string" ? [input] : input).entries()) {
            const vector = await deps.engine.promptVector({messages: [{role: "user", content: text}], adapter});
            const embedding = encoding === "base64" ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64") : Array.from(vector);
            data.push({object: "embedding", index, embedding});
        }
        sendJson(request.res, 200, {object: "list", data, model, usage: {prompt_tokens: 0, total_tokens: 0}});
    } finally {
        release();
    }
}
