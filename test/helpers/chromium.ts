import fs from "node:fs";
import path from "node:path";
import {type Browser, chromium} from "playwright-core";

/**
 * Debian's chromium (CI installs it). Outside CI, tests that need it skip with this reason when it is absent; under
 * CI it is never missing, so a failed install fails the tests that need it instead of passing them unseen.
 */
export const CHROMIUM_PATH = process.env.PRISM_CHROMIUM ?? "/usr/bin/chromium";
const missing = fs.existsSync(CHROMIUM_PATH) ? false : `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set PRISM_CHROMIUM)`;
export const chromiumMissing: string | false = process.env.CI ? false : missing;

export function launchChromium(): Promise<Browser> {
    if (missing) throw new Error(missing);
    return chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    });
}

/** Opens the page with every network request blocked and recorded, and returns what the page showed and logged. */
export async function inspectReport(browser: Browser, htmlFile: string, screenshot: string) {
    const page = await browser.newPage({viewport: {width: 1280, height: 900}});
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file://") && url.endsWith(path.basename(htmlFile))) return route.continue();
        requests.push(url);
        return route.abort();
    });
    await page.goto(`file://${htmlFile}`);
    const charts = await page.$$eval("figure.chart", (figs) => figs.map((f) => ({
        id: f.getAttribute("data-chart"),
        data: f.querySelectorAll(".datum").length,
        finite: [...f.querySelectorAll(".datum")].every((d) => Number.isFinite(Number(d.getAttribute("data-value")))),
        width: f.querySelector("svg")!.getBoundingClientRect().width
    })));
    // Wider than the viewport means the page itself scrolls sideways (a wide table escaped its box).
    const pageWidth = await page.evaluate("document.documentElement.scrollWidth") as number;
    await page.screenshot({path: screenshot, fullPage: true});
    await page.close();
    return {errors, requests, charts, pageWidth};
}
