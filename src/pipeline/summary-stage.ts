import {writeFileAtomic, writeJsonAtomic} from "../util/atomic-write.js";
import {computeRunSummary, formatRunSummary} from "./run-summary.js";
import type {StageContext, StageResult} from "./stage-context.js";

/** Stage 8. Per domain and overall: queries, persona win rate, share routed to the adapter, the gate's held-out accuracy and AUC. */
export async function summaryStage(ctx: StageContext): Promise<StageResult> {
    const summary = await computeRunSummary(ctx.run.dir);
    await writeJsonAtomic(ctx.run.path("summary"), summary);
    await writeFileAtomic(ctx.run.path("summaryText"), formatRunSummary(summary) + "\n");
    return {counts: {domains: summary.domains.length, queries: summary.overall.queries, personaWins: summary.overall.personaWins}};
}
