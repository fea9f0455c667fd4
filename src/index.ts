/**
 * prism's library API. The CLI is built on these same exports.
 *
 *     import {LlamaEngine} from "prism-persona";
 *     await using engine = await LlamaEngine.load({model: "model.gguf", adapters: [{name: "persona", path: "persona.gguf"}]});
 *     const [answer] = await engine.generate([{messages: [{role: "user", content: "Hi"}], adapter: "persona"}]);
 */

// Engines
export type * from "./engine/engine.js";
export {LlamaEngine, type LlamaEngineOptions} from "./engine/llama-engine.js";
export {OpenAIEngine, type OpenAIEngineOptions} from "./engine/openai-engine.js";
export {wrapEngine, defaultSettings, type EngineMiddleware, type RequestKind} from "./engine/middleware.js";
export {collectStream} from "./engine/collect-stream.js";
export type {ChatTokenizer} from "./model/chat-tokenizer.js";

// Serving
export {OpenAIServer, createOpenAIHandler, type OpenAIServerOptions} from "./serve/openai-server.js";

// Errors
export {
    PrismError, UsageError, InvalidInputError, ResourceError, InterruptedError, MissingFileError, DataFormatError,
    type PrismErrorKind, type PrismErrorOptions
} from "./util/prism-error.js";
export {DisposedError} from "./util/disposed-error.js";
export {InvalidModelFileError} from "./model/invalid-model-file-error.js";
export {UnsupportedFeatureError} from "./engine/unsupported-feature-error.js";
export {NoSuchAdapterError, SchemaGenerationError, PromptTooLongError} from "./engine/engine-errors.js";

// Models and adapters
export {GgufFile, type GgufTensorInfo} from "./model/gguf-file.js";
export {describeGguf, type GgufDescription} from "./model/describe-gguf.js";
export {makeTinyModel, type TinyModelOptions, type TinyModelResult} from "./model/tiny-model.js";
export {makeTinyLora, type TinyLoraOptions} from "./lora/tiny-lora.js";
export type {LoraWeights, LoraModule} from "./lora/lora-weights.js";
export {LoraConfig, loraScale} from "./lora/lora-config.js";
