import {describe, expect, it} from "vitest";
import {resolveBootstrapConfig} from "./bootstrap-config.js";
import {describeSettingChanges, stageHash, stageSettings} from "./stage-settings.js";

const chain = (config = resolveBootstrapConfig()) => {
    let previous = "sha256:model";
    return (["personas", "queries", "answers", "judge", "datasets"] as const).map((stage) => (previous = stageHash(stage, stageSettings(stage, config), previous)));
};

describe("stage settings", () => {
    it("a setting changes its own stage's hash and every later one, never an earlier one", () => {
        const before = chain();
        const after = chain(resolveBootstrapConfig({answerMaxTokens: 64}));
        expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
        for (let i = 2; i < 5; i++) expect(after[i]).not.toBe(before[i]);
    });

    it("engine-independent and key-order-independent", () => {
        expect(stageHash("gate", {gate: {kind: "mlp", threshold: 0.5}}, "x")).toBe(stageHash("gate", {gate: {threshold: 0.5, kind: "mlp"}}, "x"));
        expect(chain(resolveBootstrapConfig({seed: 1}))[0]).not.toBe(chain()[0]);
    });

    it("describes what changed", () => {
        expect(describeSettingChanges({judge: "pairwise", truncateChars: 1500}, {judge: "pointwise", truncateChars: 1500})).toEqual(["judge: \"pairwise\" → \"pointwise\""]);
        expect(describeSettingChanges({training: {rank: 16}}, {training: {rank: 8}})).toEqual(["training: {\"rank\":16} → {\"rank\":8}"]);
    });
});
