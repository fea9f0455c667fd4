import fs from "node:fs";
import {type Browser, chromium} from "playwright-core";

/** Debian's chromium (CI installs it); tests that need it skip with this reason when it is absent. */
export const CHROMIUM_PATH = process.env.PRISM_CHROMIUM ?? "/usr/bin/chromium";
export const chromiumMissing: string | false = fs.existsSync(CHROMIUM_PATH) ? false : `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set PRISM_CHROMIUM)`;

export function launchChromium(): Promise<Browser> {
    return chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    });
}
