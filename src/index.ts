// prism's public library API: the CLI is built on these same exports.

// LoRA adapters: config, in-memory weights, GGUF and PEFT formats, conversion and checks against a base model.
export {LoraConfig, ggufEffectiveAlpha, loraLayers, loraScale, resolveLoraConfig, type LoraConfigInput} from "./lora/lora-config.js";
export {loraWeightsScale, referenceLoraOf, type LoraModule, type LoraWeights} from "./lora/lora-weights.js";
export {readGgufLora, writeGgufLora, type WriteGgufLoraOptions} from "./lora/gguf-lora.js";
export {PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, readPeftAdapter, writePeftAdapter, type ReadPeftAdapterOptions, type ReadPeftAdapterResult, type WritePeftAdapterOptions} from "./lora/peft-adapter.js";
export {detectAdapterFormat, loadAdapter, saveAdapter, type AdapterFormat, type LoadAdapterOptions, type LoadedAdapter, type SaveAdapterOptions} from "./lora/adapter-file.js";
export {readAdapterBase, type AdapterBase} from "./lora/adapter-base.js";
export {validateAdapter, type ValidateAdapterOptions, type ValidateAdapterResult} from "./lora/validate-adapter.js";
export {convertAdapter, type ConvertAdapterOptions, type ConvertAdapterResult} from "./lora/convert-adapter.js";
export {describePeftAdapter, type PeftAdapterDescription} from "./lora/describe-peft-adapter.js";
export {readSafetensors, readSafetensorsHeader, writeSafetensors, type SafetensorsContent, type WriteSafetensorsOptions} from "./lora/safetensors.js";

// The plain-TypeScript reference forward (ground truth for llama.cpp, the trainer and the converters).
export {hfLayoutModel, loadReferenceModel, type ReferenceModel} from "./model/reference-model.js";
export {referenceForward, type ReferenceForwardOptions, type ReferenceForwardResult, type ReferenceLora} from "./model/reference-forward.js";
export {permuteQkRows, type QkLayout} from "./model/qk-permutation.js";
