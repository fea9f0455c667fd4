import fs from "node:fs";
import path from "node:path";

/** The newest modification time of the files under `dir` whose names pass `keep`, or 0 when there are none. */
export function newestMtime(dir: string, keep: (file: string) => boolean = () => true): number {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, {withFileTypes: true, recursive: true})) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        if (keep(file)) newest = Math.max(newest, fs.statSync(file).mtimeMs);
    }
    return newest;
}

/**
 * Throws when a source file under `src` changed after the newest file of `dist` was built: CLI tests run the built
 * CLI, and against a stale build they would test old code and pass or fail for the wrong reason.
 */
export function assertBuildIsFresh(src: string, dist: string): void {
    if (!fs.existsSync(dist)) throw new Error(`${dist} does not exist: run \`npm run build\` before the CLI tests`);
    const source = newestMtime(src, (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    const built = newestMtime(dist, (f) => f.endsWith(".js"));
    if (source > built)
        throw new Error(`${dist} is older than ${src} (a source file changed ${((source - built) / 1000).toFixed(0)} s after the last build): run \`npm run build\``);
}
