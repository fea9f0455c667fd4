import {TINY_CORPUS} from "../../src/model/tiny-corpus.js";
import type {SourcedRecord} from "../../src/train/training-example.js";
import {Rng} from "../../src/util/rng.js";

export const PIRATE = "You are a pirate captain. Every answer you give is about ships, gold and the sea.";

const sentences = TINY_CORPUS.split(/(?<=[.?!])\s+|\n/).map((s) => s.trim()).filter((s) => s.length > 10);

/** Chats of one corpus sentence asked and another answered, all with the same teacher persona. */
export function chatRecords(count: number, seed: number, persona = PIRATE): SourcedRecord[] {
    const rng = new Rng(seed);
    return Array.from({length: count}, (_, i) => ({
        path: `records-${seed}`,
        line: i + 1,
        record: {
            messages: [{role: "user" as const, content: sentences[rng.int(sentences.length)]!}, {role: "assistant" as const, content: sentences[rng.int(sentences.length)]!}],
            teacher_system: persona
        }
    }));
}
