import {UsageError} from "../util/prism-error.js";
import {HttpError} from "./http-error.js";

/** What a request's `model` selects: the gate's choice, or a fixed model (`null` = base). */
export type ModelTarget = {kind: "gate"} | {kind: "fixed", adapter: string | null};

export type ServedModel = {id: string, object: "model", created: number, owned_by: "prism", prism: {route: "gate" | "base" | "adapter", adapter?: string}};

export type ServedModelsOptions = {
    /** The name that selects routed answers (with a gate) or the base model (without). */
    modelName: string,
    /** The engine's adapters, each selectable by its name. */
    adapters: readonly string[],
    /** The adapter the gate turns on; with it `modelName` routes, and the aliases `base` and `adapter` bypass the gate. */
    routedAdapter?: string
};

const BASE_ALIAS = "base";
const ADAPTER_ALIAS = "adapter";

/** The model names a server answers to, and what each selects. */
export class ServedModels {
    private readonly targets = new Map<string, ModelTarget>();

    constructor(options: ServedModelsOptions) {
        const add = (id: string, target: ModelTarget) => {
            if (this.targets.has(id)) throw new UsageError(`the model name "${id}" is used twice by this server`, {hint: "give the served model (--model-name) or the adapter (--adapter-name) another name"});
            this.targets.set(id, target);
        };
        const routed = options.routedAdapter;
        if (routed !== undefined && !options.adapters.includes(routed)) throw new UsageError(`the routed adapter "${routed}" is not one of the engine's adapters (${options.adapters.join(", ") || "none"})`);
        add(options.modelName, routed !== undefined ? {kind: "gate"} : {kind: "fixed", adapter: null});
        if (routed !== undefined) {
            add(BASE_ALIAS, {kind: "fixed", adapter: null});
            add(ADAPTER_ALIAS, {kind: "fixed", adapter: routed});
        }
        for (const a of options.adapters) if (!(routed !== undefined && a === ADAPTER_ALIAS && routed === a)) add(a, {kind: "fixed", adapter: a});
    }

    /** The target of `model`; an unknown name is OpenAI's 404 `model_not_found`. */
    resolve(model: string): ModelTarget {
        const target = this.targets.get(model);
        if (!target) {
            throw new HttpError(404, `The model '${model}' does not exist (this server has ${[...this.targets.keys()].join(", ")})`,
                "invalid_request_error", "model_not_found", "model");
        }
        return target;
    }

    /** GET /v1/models' list, in OpenAI's shape plus what each name selects. */
    list(): ServedModel[] {
        return [...this.targets].map(([id, t]) => modelObject(id, t));
    }

    /** GET /v1/models/{id}: one model object; an unknown name is OpenAI's 404 `model_not_found`. */
    retrieve(id: string): ServedModel {
        return modelObject(id, this.resolve(id));
    }
}

function modelObject(id: string, t: ModelTarget): ServedModel {
    return {
        id, object: "model", created: 0, owned_by: "prism",
        prism: t.kind === "gate" ? {route: "gate"} : t.adapter === null ? {route: "base"} : {route: "adapter", adapter: t.adapter}
    };
}
