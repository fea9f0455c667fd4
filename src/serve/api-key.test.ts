import {describe, expect, it} from "vitest";
import {hasApiKey} from "./api-key.js";

describe("hasApiKey", () => {
    it("accepts exactly the bearer key", () => {
        expect(hasApiKey("Bearer sk-abc", "sk-abc")).toBe(true);
        expect(hasApiKey("bearer   sk-abc ", "sk-abc")).toBe(true);
        for (const wrong of [undefined, "", "sk-abc", "Bearer", "Bearer ", "Bearer sk-abd", "Bearer sk-ab", "Bearer sk-abcd", "Basic sk-abc"]) {
            expect(hasApiKey(wrong, "sk-abc"), String(wrong)).toBe(false);
        }
    });
});
