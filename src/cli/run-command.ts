import {PrismError} from "../util/prism-error.js";
import {type ConfigFlags, nameConfigFlag} from "./config-flags.js";

/**
 * Runs a command handler with the CLI's error policy: a PrismError prints its message and hint and exits with its
 * kind's code (2 usage, 3 bad input, 4 resources, 130 interrupted); anything else is a bug: stack and exit 1.
 * Ctrl-C aborts the signal passed to the handler once (so work can checkpoint); a second Ctrl-C exits at once.
 * `configFlags` says which flag set which config field, so a bad value is reported by its flag.
 */
export async function runCommand(handler: (signal: AbortSignal) => Promise<void>, options: {configFlags?: ConfigFlags} = {}): Promise<void> {
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
        interrupts++;
        if (interrupts === 1) {
            process.stderr.write("\ninterrupted: finishing the current item and saving (Ctrl-C again to quit now)\n");
            controller.abort(new Error("interrupted"));
        } else process.exit(130);
    };
    process.on("SIGINT", onSigint);
    try {
        await handler(controller.signal);
    } catch (err) {
        process.exitCode = reportError(options.configFlags ? nameConfigFlag(err, options.configFlags) : err);
    } finally {
        process.off("SIGINT", onSigint);
    }
}

export function reportError(err: unknown): number {
    if (PrismError.isInstance(err)) {
        process.stderr.write(`prism: ${err.toDisplayString()}\n`);
        if (process.env.PRISM_DEBUG && err.stack) process.stderr.write(err.stack + "\n");
        return err.exitCode;
    }
    process.stderr.write(`prism: internal error (please report it): ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 1;
}
