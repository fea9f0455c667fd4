import {describe, expect, it} from "vitest";
import {formatByteSize, parseByteSize} from "./byte-size.js";

describe("byte sizes", () => {
    it("reads binary and decimal units, and names the flag when it cannot", () => {
        expect(parseByteSize("10GiB", "--memory-limit")).toBe(10 * 1024 ** 3);
        expect(parseByteSize("8G", "--memory-limit")).toBe(8e9);
        expect(parseByteSize("512 mib", "--memory-limit")).toBe(512 * 1024 ** 2);
        expect(parseByteSize("1234", "--memory-limit")).toBe(1234);
        expect(() => parseByteSize("ten gigs", "--memory-limit")).toThrow(/--memory-limit: expected a size like 10GiB/);
        expect(() => parseByteSize("0", "PRISM_MEMORY_LIMIT")).toThrow(/PRISM_MEMORY_LIMIT/);
        expect(formatByteSize(1.5 * 1024 ** 3)).toBe("1.50 GiB");
    });
});
