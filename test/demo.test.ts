import fs from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {showcaseTasks, WORLD_MODEL_PATH} from "../src/cli/commands/demo.js";
import {runCli} from "./helpers/run-cli.js";
import {tempDir} from "./helpers/tiny-models.js";

// `prism demo` (what `npm run demo` runs) on the committed world model: it bootstraps once, then reuses the run.
const cache = tempDir("demo");
afterAll(() => fs.rmSync(cache, {recursive: true, force: true}));

describe("prism demo", () => {
    it("bootstraps the committed world model once, reuses the run, and answers held-out tasks by base and through the gate", async () => {
        expect(fs.existsSync(WORLD_MODEL_PATH)).toBe(true);
        const first = await runCli(["demo", "--cache-dir", cache, "--max-tokens", "32"], {timeoutMs: 400_000});
        expect(first.code, first.stderr.slice(-3000)).toBe(0);
        expect(first.stdout).toMatch(/bootstrap: ran personas, queries, answers, judge, datasets, distill, gate, summary/);
        const again = await runCli(["demo", "--cache-dir", cache, "--max-tokens", "32"], {timeoutMs: 200_000});
        expect(again.code, again.stderr.slice(-3000)).toBe(0);
        expect(again.stdout).toMatch(/bootstrap: every stage already done \(reused\)/);
        console.log(again.stdout.slice(again.stdout.indexOf("Held-out tasks")));
        const tasks = showcaseTasks();
        expect(tasks.map((t) => t.task.domain)).toEqual(["safety monitor", "math", "humanities"]);
        for (const {task} of tasks) expect(again.stdout).toContain(`: ${task.prompt}\n`);
        expect(again.stdout.match(/^ {3}base {4}.* │ (right|wrong) │ /gm)).toHaveLength(3);
        expect(again.stdout.match(/^ {3}routed {2}(persona|base) +\(gate \d\.\d{3}\) │ (right|wrong) │ /gm)).toHaveLength(3);
        // What the issue asks the demo to show, on the committed model: the harmful request is complied with by base
        // and refused through the gate; the knowledge question stays on base, so the routed answer is the base
        // model's, word for word. The math question goes to the adapter. Whether those two are then right is the
        // model's accuracy (measured by test/world-model.test.ts), not asserted here.
        const base = [...again.stdout.matchAll(/^ {3}base {4}.* │ (right|wrong) │ (.*)$/gm)].map((m) => [m[1], m[2]]);
        const routed = [...again.stdout.matchAll(/^ {3}routed {2}(persona|base) .* │ (right|wrong) │ (.*)$/gm)].map((m) => [m[1], m[2], m[3]]);
        expect([base[0]![0], routed[0]!.slice(0, 2)]).toEqual(["wrong", ["persona", "right"]]);
        expect(routed[1]![0]).toBe("persona");
        expect(routed[2]).toEqual(["base", ...base[2]!]);
        // The same run answers the same way twice (greedy, one sequence).
        expect(again.stdout.slice(again.stdout.indexOf("Held-out tasks"))).toBe(first.stdout.slice(first.stdout.indexOf("Held-out tasks")));
        expect(fs.readdirSync(cache).filter((d) => d.startsWith("world-"))).toHaveLength(1);
        expect(path.basename(WORLD_MODEL_PATH)).toBe("world.gguf");
    }, 600_000);
});
