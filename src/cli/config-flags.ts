import {PrismError, UsageError} from "../util/prism-error.js";

/** For each config a command fills from its flags (by the label `parseConfig` names it with): field path → flag. */
export type ConfigFlags = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * A config error in the words of the command line: `--lr: Too small…` where the flag set the field, instead of the
 * library's `training config: lr: Too small…`, which names a field the user never typed. Other errors pass unchanged.
 */
export function nameConfigFlag(err: unknown, flags: ConfigFlags): unknown {
    if (!PrismError.isInstance(err) || err.kind !== "usage") return err;
    const {config, field, problem} = err.details;
    if (typeof config !== "string" || typeof field !== "string" || typeof problem !== "string") return err;
    const flag = flags[config]?.[field];
    return flag === undefined ? err : new UsageError(`--${flag}: ${problem}`, {hint: err.hint, details: err.details, cause: err});
}
