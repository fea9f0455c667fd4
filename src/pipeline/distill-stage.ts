import {ResourceError} from "../util/prism-error.js";
import type {StageContext, StageResult} from "./stage-context.js";

/** Stage 6: context distillation of the persona wins into a LoRA adapter (needs the trainer, src/train). */
export async function distillStage(_ctx: StageContext): Promise<StageResult> {
    throw new ResourceError("E_NO_TRAINER", "the distill stage needs the LoRA trainer, which this build of prism does not have yet", {
        hint: "run the stages before it with --stages personas,queries,answers,judge,datasets; distill.jsonl is ready for training"
    });
}
