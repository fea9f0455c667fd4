import type {BootstrapEvent} from "../pipeline/bootstrap.js";
import {keyedProgress} from "./progress.js";

/** One progress bar per running stage on stderr, and a line for each skipped, finished or invalidated stage. */
export function stageProgress(): {onEvent(e: BootstrapEvent): void, stop(): void} {
    const bar = keyedProgress();
    const say = (line: string) => process.stderr.write(line + "\n");
    return {
        onEvent(e) {
            switch (e.type) {
                case "stage-start":
                    bar.stop();
                    say(`${e.stage}: ${e.resumed ? "resuming" : "starting"}`);
                    break;
                case "stage-progress":
                    bar.update(e.stage, e.done, e.total, e.info);
                    break;
                case "stage-done":
                    bar.stop();
                    say(`${e.stage}: done in ${(e.elapsedMs / 1000).toFixed(1)} s (${Object.entries(e.counts).map(([k, v]) => `${k} ${v}`).join(", ")})`);
                    break;
                case "stage-skipped":
                    if (e.reason === "done") say(`${e.stage}: already done`);
                    break;
                case "invalidated":
                    say(`${e.stage}: settings changed (${e.changes.join("; ")}); redoing ${e.stages.join(", ")}${e.movedTo ? `; their old files are in ${e.movedTo}` : ""}`);
                    break;
                case "log":
                    say(`${e.stage ? `${e.stage}: ` : ""}${e.message}`);
                    break;
            }
        },
        stop: () => bar.stop()
    };
}
