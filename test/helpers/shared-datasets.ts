import fs from "node:fs";
import path from "node:path";

/** The real benchmark data beside the checkout (`../shared/datasets`), which CI provides. */
export const SHARED_DATASETS = path.resolve(import.meta.dirname, "../../../shared/datasets");

/**
 * Why tests on `SHARED_DATASETS/<sub>` skip: a reason when it is absent outside CI, else `false`. Under CI it is
 * never a reason to skip, so a missing folder fails the tests that read it instead of passing them unseen.
 */
export function sharedDatasetMissing(sub = ""): string | false {
    const dir = path.join(SHARED_DATASETS, sub);
    if (fs.existsSync(dir)) return false;
    return process.env.CI ? false : `${dir} is absent`;
}
