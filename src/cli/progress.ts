import cliProgress from "cli-progress";

export type Progress = {
    update(done: number, extra?: Record<string, string | number>): void,
    setTotal(total: number): void,
    stop(): void
};

/**
 * A progress bar on stderr when it is a terminal; otherwise (CI, pipes, --json) an occasional plain line, so logs
 * show that long work is moving without filling up with redraws.
 */
export function createProgress(label: string, total: number, options: {quiet?: boolean} = {}): Progress {
    if (options.quiet) return {update() {}, setTotal() {}, stop() {}};
    if (process.stderr.isTTY) {
        const bar = new cliProgress.SingleBar({
            stream: process.stderr,
            format: `${label.padEnd(12)} {bar} {percentage}% | {value}/{total} | eta {eta_formatted} {info}`,
            hideCursor: true,
            clearOnComplete: false
        }, cliProgress.Presets.shades_classic);
        bar.start(total, 0, {info: ""});
        return {
            update: (done, extra) => bar.update(done, {info: extra ? Object.entries(extra).map(([k, v]) => `${k} ${v}`).join(" ") : ""}),
            setTotal: (t) => bar.setTotal(t),
            stop: () => bar.stop()
        };
    }
    let lastPrint = 0;
    let t = total;
    const started = Date.now();
    return {
        update(done, extra) {
            const now = Date.now();
            if (now - lastPrint < 5000 && done < t) return;
            lastPrint = now;
            const rest = extra ? " " + Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(" ") : "";
            process.stderr.write(`${label}: ${done}/${t} (${((now - started) / 1000).toFixed(0)}s)${rest}\n`);
        },
        setTotal(n) {
            t = n;
        },
        stop() {}
    };
}

export type KeyedProgress = {
    /** Shows `done` of `total` under `key`: a new key, or a new total, stops the bar shown and starts another. */
    update(key: string, done: number, total: number, extra?: Record<string, string | number>): void,
    stop(): void
};

/** One progress bar at a time for work that runs in phases (stages, benchmarks, teacher then training), each labelled by its key. */
export function keyedProgress(options: {quiet?: boolean} = {}): KeyedProgress {
    let current: {key: string, total: number, bar: Progress} | undefined;
    return {
        update(key, done, total, extra) {
            if (current?.key !== key || current.total !== total) {
                current?.bar.stop();
                current = {key, total, bar: createProgress(key, total, options)};
            }
            current.bar.update(done, extra);
        },
        stop() {
            current?.bar.stop();
            current = undefined;
        }
    };
}
