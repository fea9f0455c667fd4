import {z} from "zod";
import {UsageError} from "../util/prism-error.js";
import type {JsonSchema} from "./engine.js";

const validators = new Map<string, z.ZodType>();

/**
 * Checks a value against a JSON Schema (with zod's JSON Schema reader); returns `null` when it fits, else what is
 * wrong and where. Grammar-constrained output should always fit: this is the belt to the grammar's braces.
 */
export function checkJsonSchema(schema: JsonSchema, value: unknown): string | null {
    const key = JSON.stringify(schema);
    let validator = validators.get(key);
    if (!validator) {
        try {
            validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
        } catch (err) {
            throw new UsageError(`the JSON schema cannot be used: ${(err as Error).message}`, {cause: err});
        }
        validators.set(key, validator);
    }
    const result = validator.safeParse(value);
    if (result.success) return null;
    const issue = result.error.issues[0]!;
    return `${issue.path.length > 0 ? `at "${issue.path.join(".")}": ` : ""}${issue.message}`;
}
