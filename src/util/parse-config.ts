import type {z} from "zod";
import {UsageError} from "./prism-error.js";

/**
 * Parses a config with its zod schema; a failure is a UsageError naming the field and the value it got. Its details
 * hold the config's label, the field's path and the problem, so a front end that set the field from an option of its
 * own (the CLI's `--lr`) can name that option instead (src/cli/config-flags.ts).
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, label: string): z.output<S> {
    const parsed = schema.safeParse(input);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".");
    const got = issue.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], input);
    const problem = `${issue.message} (got ${JSON.stringify(got)})`;
    throw new UsageError(`${label}: ${field}: ${problem}`, {details: {config: label, field, problem}});
}
