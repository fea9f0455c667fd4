import {PrismError} from "../util/prism-error.js";

/** An engine was asked for something its backend cannot do (e.g. log-probabilities from a server without them). */
export class UnsupportedFeatureError extends PrismError {
    readonly feature: string;
    readonly engineId: string;
    constructor(engineId: string, feature: string, detail: string, hint?: string) {
        super("E_UNSUPPORTED", "resource", `${feature} is not supported by this ${engineId} engine: ${detail}`, {hint, details: {feature, engineId}});
        this.feature = feature;
        this.engineId = engineId;
    }
}
