import {describe, expect, it} from "vitest";
import {corsHeaders, isLoopbackHost} from "./browser-guards.js";

describe("browser guards", () => {
    it("knows loopback addresses and names from everything else", () => {
        for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "app.localhost", "::ffff:127.0.0.1"]) expect(isLoopbackHost(host), host).toBe(true);
        for (const host of ["0.0.0.0", "::", "10.0.0.1", "evil.example", "127.0.0.1.evil.example", "localhost.evil", "128.0.0.1", "::2", ""]) expect(isLoopbackHost(host), host).toBe(false);
    });

    it("gives CORS headers only to the allowed origins", () => {
        expect(corsHeaders("http://app.example", ["http://app.example"])).toMatchObject({"access-control-allow-origin": "http://app.example", vary: "Origin"});
        expect(corsHeaders("http://evil.example", ["http://app.example"])).toEqual({});
        expect(corsHeaders(undefined, ["*"])).toEqual({});
        expect(corsHeaders("http://any.example", [])).toEqual({});
        expect(corsHeaders("http://any.example", ["*"])["access-control-allow-origin"]).toBe("*");
    });
});
