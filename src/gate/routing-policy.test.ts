import {describe, expect, it} from "vitest";
import type {ChatMessage} from "../model/chat-tokenizer.js";
import {decisionPrompt} from "./routing-policy.js";

const m = (role: ChatMessage["role"], content: string): ChatMessage => ({role, content});

describe("decisionPrompt", () => {
    const chat = [m("system", "s"), m("user", "u1"), m("assistant", "a1"), m("user", "u2"), m("assistant", "prefill")];

    it("cuts after the first user turn (first-turn) or the last one (per-turn)", () => {
        expect(decisionPrompt(chat, "first-turn")).toEqual({messages: chat.slice(0, 2), reused: true});
        expect(decisionPrompt(chat, "per-turn")).toEqual({messages: chat.slice(0, 4), reused: false});
    });

    it("a first turn is not reused; a prompt without user turns is scored whole", () => {
        expect(decisionPrompt(chat.slice(0, 2), "first-turn")).toEqual({messages: chat.slice(0, 2), reused: false});
        expect(decisionPrompt([m("system", "s")], "first-turn")).toEqual({messages: [m("system", "s")], reused: false});
    });
});
