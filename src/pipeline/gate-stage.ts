import {ResourceError} from "../util/prism-error.js";
import type {StageContext, StageResult} from "./stage-context.js";

/** Stage 7: the gate on the hidden state after the first block (needs the trainer's partial forward, src/train). */
export async function gateStage(_ctx: StageContext): Promise<StageResult> {
    throw new ResourceError("E_NO_TRAINER", "the gate stage needs the trainer's partial forward, which this build of prism does not have yet", {
        hint: "run the stages before it with --stages personas,queries,answers,judge,datasets"
    });
}
