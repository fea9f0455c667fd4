import {describe, expect, it} from "vitest";
import {z} from "zod";
import {InvalidInputError, UsageError} from "../util/prism-error.js";
import {parseConfig} from "../util/parse-config.js";
import {nameConfigFlag} from "./config-flags.js";

const Config = z.object({lr: z.number().positive(), training: z.object({batchSize: z.number().int().min(1)}).default({batchSize: 1})});
const flags = {"demo config": {lr: "lr", "training.batchSize": "batch"}};
const failure = (input: unknown): unknown => {
    try {
        parseConfig(Config, input, "demo config");
    } catch (err) {
        return err;
    }
    throw new Error("expected the config to be refused");
};

describe("nameConfigFlag", () => {
    it("names the flag that set the field, keeping the problem and the value", () => {
        const err = nameConfigFlag(failure({lr: -1}), flags);
        expect(err).toBeInstanceOf(UsageError);
        expect((err as UsageError).message).toMatch(/^--lr: .* \(got -1\)$/);
        expect((nameConfigFlag(failure({lr: 1, training: {batchSize: 0}}), flags) as UsageError).message).toMatch(/^--batch: .* \(got 0\)$/);
    });

    it("leaves fields no flag sets, other configs and other errors as they were", () => {
        const original = failure({lr: -1});
        expect(nameConfigFlag(original, {"demo config": {}})).toBe(original);
        expect(nameConfigFlag(original, {"other config": {lr: "lr"}})).toBe(original);
        expect((original as UsageError).message).toMatch(/^demo config: lr: .* \(got -1\)$/);
        const input = new InvalidInputError("E_X", "bad file", {details: {config: "demo config", field: "lr", problem: "x"}});
        expect(nameConfigFlag(input, flags)).toBe(input);
    });
});
