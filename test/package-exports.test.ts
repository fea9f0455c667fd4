import path from "node:path";
import {pathToFileURL} from "node:url";
import {describe, expect, it} from "vitest";

// The built package's entry point (npm test builds dist first) loads and exposes the library API.
describe("dist/index.js", () => {
    it("imports cleanly and exports the engines, server, errors and model tools", async () => {
        // A computed specifier: typecheck runs before the build, when dist/ may not exist yet.
        const entry = pathToFileURL(path.resolve(import.meta.dirname, "../dist/index.js")).href;
        const prism = await import(entry) as Record<string, unknown>;
        for (const name of ["LlamaEngine", "OpenAIEngine", "OpenAIServer", "wrapEngine", "defaultSettings", "PrismError", "UnsupportedFeatureError",
            "SchemaGenerationError", "NoSuchAdapterError", "InvalidModelFileError", "GgufFile", "describeGguf", "makeTinyModel", "makeTinyLora",
            "startPrismServe", "openUpstreamEngine", "ServerMetrics", "promptVectorFeatures",
            "bootstrap", "resolveBootstrapConfig", "computeRunSummary", "formatRunSummary", "openRun", "openRunRouter",
            "runEvaluation", "rescoreEvaluation", "evalProtocol", "placePersona", "overallScore", "holm", "benjaminiHochberg",
            "generateWorldTasks", "scoreWorldAnswer", "renderWorldCorpus", "plantedWinRate"])
            expect(typeof prism[name], name).toBe("function");
        expect(typeof (prism.LlamaEngine as {load?: unknown}).load).toBe("function");
        expect(Object.keys(prism.PLANTED_EFFECTS as object)).toHaveLength(12);
    });
});
