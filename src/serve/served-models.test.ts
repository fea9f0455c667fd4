import {describe, expect, it} from "vitest";
import {HttpError} from "./http-error.js";
import {ServedModels} from "./served-models.js";

describe("ServedModels", () => {
    it("with a gate: the served name routes, base/adapter and the adapter's name are fixed", () => {
        const models = new ServedModels({modelName: "prism", adapters: ["persona"], routedAdapter: "persona"});
        expect(models.resolve("prism")).toEqual({kind: "gate"});
        expect(models.resolve("base")).toEqual({kind: "fixed", adapter: null});
        expect(models.resolve("adapter")).toEqual({kind: "fixed", adapter: "persona"});
        expect(models.resolve("persona")).toEqual({kind: "fixed", adapter: "persona"});
        expect(models.list().map((m) => [m.id, m.prism.route])).toEqual([["prism", "gate"], ["base", "base"], ["adapter", "adapter"], ["persona", "adapter"]]);
        expect(models.retrieve("adapter")).toEqual({id: "adapter", object: "model", created: 0, owned_by: "prism", prism: {route: "adapter", adapter: "persona"}});
        expect(() => models.retrieve("gpt-4")).toThrow(/The model 'gpt-4' does not exist/);
    });

    it("without a gate: the served name is the base model", () => {
        const models = new ServedModels({modelName: "tiny", adapters: ["persona"]});
        expect(models.resolve("tiny")).toEqual({kind: "fixed", adapter: null});
        expect(models.list().map((m) => m.id)).toEqual(["tiny", "persona"]);
        expect(() => models.resolve("base")).toThrow(HttpError);
    });

    it("answers an unknown name with a 404 that lists the known ones, and refuses clashing names", () => {
        const err = (() => {
            try {
                new ServedModels({modelName: "prism", adapters: ["persona"], routedAdapter: "persona"}).resolve("gpt-4");
            } catch (e) {
                return e as HttpError;
            }
        })();
        expect([err?.status, err?.code, err?.param]).toEqual([404, "model_not_found", "model"]);
        expect(err?.message).toMatch(/prism, base, adapter, persona/);
        expect(() => new ServedModels({modelName: "persona", adapters: ["persona"], routedAdapter: "persona"})).toThrow(/used twice/);
        expect(() => new ServedModels({modelName: "prism", adapters: ["base"], routedAdapter: "base"})).toThrow(/used twice/);
        expect(() => new ServedModels({modelName: "prism", adapters: ["a"], routedAdapter: "b"})).toThrow(/not one of the engine's adapters/);
    });
});
