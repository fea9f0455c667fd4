import {z} from "zod";
import {UsageError} from "../util/prism-error.js";
import type {SamplingOptions} from "./engine.js";

/** The sampling settings of a request, checked, with the defaults documented on `SamplingOptions`. */
export const SamplingSettings = z.object({
    temperature: z.number().min(0).max(10).default(0),
    topP: z.number().gt(0).max(1).default(1),
    topK: z.number().int().min(0).default(0),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    maxTokens: z.number().int().min(0).default(256),
    stop: z.array(z.string()).default([])
});
export type SamplingSettings = z.output<typeof SamplingSettings>;

export function resolveSampling(request: SamplingOptions): SamplingSettings {
    const parsed = SamplingSettings.safeParse({
        temperature: request.temperature, topP: request.topP, topK: request.topK, seed: request.seed, maxTokens: request.maxTokens,
        stop: request.stop === undefined ? undefined : [...request.stop]
    });
    if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UsageError(`invalid request setting ${issue.path.join(".")}: ${issue.message}`);
    }
    return parsed.data;
}
