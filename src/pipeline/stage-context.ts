import type {PrismEngine} from "../engine/engine.js";
import type {GgmlDeviceChoice} from "../ggml/ggml-backend.js";
import type {StageName} from "../run/run-manifest.js";
import type {BootstrapConfig} from "./bootstrap-config.js";
import type {RunDirectory} from "./run-directory.js";

/** What a stage gets to do its work. */
export type StageContext = {
    readonly name: StageName,
    readonly run: RunDirectory,
    readonly config: BootstrapConfig,
    readonly modelPath: string,
    readonly modelFingerprint: string,
    /** The generation engine, loaded on first use (stages that need none never load it). */
    engine(): Promise<PrismEngine>,
    /** Whether the model's chat template has a system role (the persona goes in the user turn if not). */
    supportsSystemRole(): Promise<boolean>,
    /** Requests generated together: the engine's parallel sequences. */
    readonly chunkSize: number,
    /** CPU threads for the trainer and the gate's features. */
    readonly threads: "auto" | number,
    /** The trainer's and the gate's ggml device. */
    readonly device: GgmlDeviceChoice,
    readonly signal?: AbortSignal,
    /** Items done out of the stage's total (finished earlier included). */
    progress(done: number, total: number, info?: Record<string, string | number>): void,
    log(message: string): void
};

/** What a finished stage records in the manifest. */
export type StageResult = {counts: Record<string, number>, details?: Record<string, unknown>};

export type Stage = (context: StageContext) => Promise<StageResult>;
