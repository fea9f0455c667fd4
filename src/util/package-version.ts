import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

export function readPackageVersion(): string {
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const up of ["../../package.json", "../package.json"]) {
        try {
            return (JSON.parse(fs.readFileSync(path.join(here, up), "utf8")) as {version: string}).version;
        } catch {
            // try the next location (src/cli and dist/cli sit at different depths)
        }
    }
    return "0.0.0";
}
