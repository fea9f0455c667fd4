import fs from "node:fs";
import path from "node:path";
import {ESLint} from "eslint";
import {beforeAll, describe, expect, it} from "vitest";

// The layering rule, run through ESLint's Node API on fixture sources placed (virtually) in each src/ folder.
const root = path.resolve(import.meta.dirname, "..");
const eslint = new ESLint({cwd: root});
const RULE = "prism/layers";

type Layers = Record<string, string[]>;
let layers: Layers;

async function lint(folder: string, code: string, name = "layering-fixture.ts") {
    const [result] = await eslint.lintText(code, {filePath: path.join(root, "src", folder, name)});
    return result!.messages;
}

/** ARCHITECTURE.md's table: `| \`src/x\` | responsibility | \`a\`, \`b\` | why |`; "anything" in the import column is `*`. */
function architectureTable(): Layers {
    const text = fs.readFileSync(path.join(root, "ARCHITECTURE.md"), "utf8");
    const table: Layers = {};
    for (const line of text.split("\n")) {
        const m = /^\|\s*`src\/([a-z-]+)`\s*\|[^|]*\|([^|]*)\|/.exec(line);
        if (!m) continue;
        const cell = m[2]!.trim();
        table[m[1]!] = /anything/i.test(cell) ? ["*"] : [...cell.matchAll(/`([a-z-]+)`/g)].map((x) => x[1]!);
    }
    return table;
}

beforeAll(async () => {
    const config = await eslint.calculateConfigForFile(path.join(root, "src/gate/gate.ts"));
    layers = config.rules[RULE][1].layers;
});

describe("the layering rule", () => {
    it("enforces exactly ARCHITECTURE.md's table, which names every folder in src/", () => {
        const folders = fs.readdirSync(path.join(root, "src"), {withFileTypes: true}).filter((d) => d.isDirectory()).map((d) => d.name).sort();
        const table = architectureTable();
        expect(Object.keys(table).sort()).toEqual(folders);
        expect(Object.fromEntries(Object.entries(layers).map(([k, v]) => [k, [...v].sort()]))).toEqual(Object.fromEntries(Object.entries(table).map(([k, v]) => [k, [...v].sort()])));
    });

    it("reports every banned folder in every import form and path form, citing ARCHITECTURE.md", async () => {
        const folders = Object.keys(layers);
        let pairs = 0;
        for (const [from, ok] of Object.entries(layers)) {
            if (ok.includes("*")) continue;
            for (const to of folders.filter((f) => f !== from && f !== "util" && !ok.includes(f))) {
                const forms = [
                    `import {x} from "../${to}/x.js";`,
                    `export {x} from "../${to}/x.js";`,
                    `import type {X} from "../../src/${to}/deep/x.js";`,
                    `export async function f() { return import("../${to}/x.js"); }`,
                    "export async function g() { return import(`../" + to + "/x.js`); }",
                    `export type T = typeof import("../${to}/x.js");`,
                    `import {y} from "src/${to}/x.js";`,
                    `export async function h() { return import("src/${to}/x.js"); }`,
                    `import {z} from "prism-persona/dist/${to}/x.js";`,
                    `export async function k() { return import("prism-persona/dist/${to}/x.js"); }`
                ];
                const messages = await lint(from, forms.join("\n"));
                const reported = messages.filter((m) => m.ruleId === RULE).map((m) => m.line);
                expect(reported, `src/${from} importing src/${to}: lines reported`).toEqual(forms.map((_, i) => i + 1));
                for (const m of messages.filter((x) => x.ruleId === RULE)) expect(m.message).toContain("ARCHITECTURE.md");
                expect(messages.find((m) => m.ruleId === RULE)!.message).toContain(`src/${from} must not import src/${to}`);
                pairs++;
            }
        }
        expect(pairs).toBeGreaterThan(50);
    });

    it("lets a folder import what its row allows, itself and util", async () => {
        const messages = await lint("gate", [
            `import {PartialForward} from "../forward/partial-forward.js";`,
            `import {GgufFile} from "../model/gguf-file.js";`,
            `import {UsageError} from "../util/prism-error.js";`,
            `import {loadGate} from "./gate-file.js";`,
            `export async function f() { return import("../engine/llama-engine.js"); }`,
            `export const used = [PartialForward, GgufFile, UsageError, loadGate];`
        ].join("\n"));
        expect(messages).toEqual([]);
    });

    it("refuses the public entry point, the package's own name and test code in library code", async () => {
        const messages = await lint("engine", [
            `import {a} from "../index.js";`,
            `import {b} from "prism-persona";`,
            `import {c} from "prism-persona/dist/model/gguf-file.js";`,
            `import {d} from "../../test/helpers/tiny-models.js";`,
            `export const used = [a, b, c, d];`
        ].join("\n"));
        expect(messages.map((m) => [m.ruleId, m.line])).toEqual([[RULE, 1], [RULE, 2], [RULE, 3], [RULE, 4]]);
        // Test files beside the code may use the test helpers.
        expect(await lint("engine", `import {d} from "../../test/helpers/tiny-models.js";\nexport const used = d;`, "x.test.ts")).toEqual([]);
    });

    it("reports a src/ folder the table does not name", async () => {
        const messages = await lint("newfolder", `export const x = 1;`);
        expect(messages.map((m) => m.message)).toEqual([expect.stringContaining("not in ARCHITECTURE.md's layer table")]);
    });
});
