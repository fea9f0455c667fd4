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
export {OpenAIServer, createOpenAIHandler, type OpenAIHandler, type OpenAIServerOptions, type ShutdownResult} from "./serve/openai-server.js";
export {startPrismServe, type PrismServe, type PrismServeOptions} from "./serve/prism-serve.js";
export {openUpstreamEngine, type UpstreamEngine, type UpstreamEngineOptions} from "./serve/upstream-engine.js";
export {ServerMetrics, type ServerMetricsOptions} from "./serve/server-metrics.js";
export {accessLogToStream, openAccessLogFile, type AccessLog, type AccessLogEntry} from "./serve/access-log.js";
export {QueueFullError, QueueTimeoutError} from "./serve/request-queue.js";
export type {PrismRouteField} from "./serve/prism-route.js";
export type {ServedModel} from "./serve/served-models.js";

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

// LoRA adapters: config, in-memory weights, GGUF and PEFT formats, conversion and checks against a base model.
export {LoraConfig, ggufEffectiveAlpha, loraLayers, loraScale, resolveLoraConfig, type LoraConfigInput} from "./lora/lora-config.js";
export {loraWeightsScale, referenceLoraOf, type LoraModule, type LoraWeights} from "./lora/lora-weights.js";
export {readGgufLora, writeGgufLora, type WriteGgufLoraOptions} from "./lora/gguf-lora.js";
export {PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, readPeftAdapter, writePeftAdapter, type ReadPeftAdapterOptions, type ReadPeftAdapterResult, type WritePeftAdapterOptions} from "./lora/peft-adapter.js";
export {detectAdapterFormat, loadAdapter, saveAdapter, type AdapterFormat, type LoadAdapterOptions, type LoadedAdapter, type SaveAdapterOptions} from "./lora/adapter-file.js";
export {readAdapterBase, type AdapterBase} from "./lora/adapter-base.js";
export {validateAdapter, type ValidateAdapterOptions, type ValidateAdapterResult} from "./lora/validate-adapter.js";
export {convertAdapter, type ConvertAdapterOptions, type ConvertAdapterResult} from "./lora/convert-adapter.js";
export {mergeLora, type MergeLoraOptions, type MergeLoraResult} from "./lora/merge-lora.js";
export {describePeftAdapter, type PeftAdapterDescription} from "./lora/describe-peft-adapter.js";
export {readSafetensors, readSafetensorsHeader, writeSafetensors, type SafetensorsContent, type WriteSafetensorsOptions} from "./lora/safetensors.js";

// The plain-TypeScript reference forward (ground truth for llama.cpp, the trainer and the converters).
export {hfLayoutModel, loadReferenceModel, type ReferenceModel} from "./model/reference-model.js";
export {referenceForward, type ReferenceForwardOptions, type ReferenceForwardResult, type ReferenceLora} from "./model/reference-forward.js";
export {permuteQkRows, type QkLayout} from "./model/qk-permutation.js";

// Evaluation: benchmarks, conditions, statistics and the report (prism eval, prism study, prism report).
export {runEvaluation, type EvaluateOptions} from "./eval/run-evaluation.js";
export {runStudy, studyConditions, type StudyGrid, type StudyOptions} from "./eval/run-study.js";
export {writeReport, readSummary, type WriteReportOptions, type WriteReportResult} from "./eval/report/write-report.js";
export {EvalSummary, type ConditionDelta, type ConditionScore, type OverallScore, type RoutingShare, type WorldSummary} from "./eval/summary/eval-summary.js";
export {worldSummary, type WorldSummaryOptions} from "./eval/summary/world-summary.js";
export {loadWorldTasks} from "./eval/data/world-tasks.js";
export {worldPersonaSet} from "./eval/personas/world-personas.js";
export {parseCondition, conditionId, type Condition, type PersonaPlacement} from "./eval/condition.js";
export {parseBenchmarks, defaultDataDir, WORLD_BENCH, type BenchmarkSpec} from "./eval/benchmark-spec.js";
export {loadMmlu, type MmluQuestion, type LoadMmluOptions} from "./eval/data/mmlu-dataset.js";
export {loadMtBench, type MtBenchQuestion, type LoadMtBenchOptions} from "./eval/data/mt-bench-dataset.js";
export {loadSafetySet, BUILTIN_SAFETY_SETS, type SafetyPrompt, type LoadSafetyOptions} from "./eval/data/safety-dataset.js";
export {builtinPersonaSet, loadPersonaSet, type PersonaSet} from "./eval/personas/persona-set.js";
export {PERSONA_DOMAINS, PERSONA_LENGTHS, type PersonaDomain, type PersonaLength} from "./eval/personas/persona-domain.js";
export {parseJudgeRating, type JudgeRating} from "./eval/judge/judge-rating.js";
export {isRefusalByKeywords, xstestStringMatch} from "./prompts/refusal-keywords.js";
export {evalProtocol, PROTOCOL_NAMES, type EvalProtocol, type ProtocolName} from "./eval/protocol.js";
export {rescoreEvaluation, type RescoreOptions} from "./eval/rescore-evaluation.js";
export {holm, benjaminiHochberg} from "./eval/stats/multiple-comparisons.js";
export {overallScore, DEFAULT_SAFETY_SLOTS, type SafetySlots} from "./eval/summary/overall-score.js";
export {bootstrapMeanCi, pairedDelta, type BootstrapOptions, type ConfidenceInterval} from "./eval/stats/bootstrap.js";
export {signTest, type SignTestResult} from "./eval/stats/sign-test.js";
export {pearson, spearman} from "./eval/stats/correlation.js";

// Gate: training, the gate file, routed inference.
export {trainGate, type TrainGateOptions, type TrainGateResult} from "./gate/train-gate.js";
export {Gate, type GateKind, type GateDecision, type GateTrainingInfo, type GateCandidateReport} from "./gate/gate.js";
export {GateFeatureDefinition, type GateFeatures} from "./gate/gate-features.js";
export {promptVectorFeatures, type PromptVectorEngine} from "./gate/prompt-vector-features.js";
export {cachedFeatures, type CachedFeaturesOptions} from "./gate/cached-features.js";
export {saveGate, loadGate, gateToJson, gateFromJson, GateFileError, type LoadGateOptions, type GateFile} from "./gate/gate-file.js";
export {GateMismatchError} from "./gate/gate-mismatch-error.js";
export {describeGate, type GateDescription} from "./gate/describe-gate.js";
export {createRouter, type CreateRouterOptions, type Router, type RoutedGenerateOptions, type RoutedGenerateResult} from "./gate/router.js";
export {gateRouter, type GateRouter, type GateRouterOptions} from "./gate/gate-router.js";
export {decisionPrompt, type RoutingPolicy} from "./gate/routing-policy.js";
export {binaryMetrics, rocAuc, type BinaryMetrics, type ConfusionCounts} from "./gate/binary-metrics.js";
export {calibrateThreshold, type ThresholdCalibration} from "./gate/calibrate-threshold.js";

// Training: LoRA adapters on ggml (SFT, context distillation), and the partial forward the gate reads.
export {LoraTrainer, type LoraTrainerOptions, type TrainOptions, type TrainPlan, type TrainProgress, type TrainResult, type EvaluationResult, type HeldOutCurve} from "./train/lora-trainer.js";
export type {HeldOutPoint} from "./train/checkpoint.js";
export {trainLora, type TrainLoraOptions, type TrainLoraResult} from "./train/train-lora.js";
export {TrainConfig, resolveTrainConfig, type TrainConfigInput} from "./train/train-config.js";
export {readChatRecords, tokenizeExamples, ChatRecord, type TrainingExample} from "./train/training-example.js";
export {placePersona, effectivePlacement} from "./train/persona-placement.js";
export {PartialForward, type PartialForwardOptions, type HiddenStateFeature} from "./forward/partial-forward.js";
export {GgmlModel, type GgmlModelOptions, type LogitsOptions} from "./train/ggml-model.js";
export {estimateMemoryPlan, type MemoryPlan, type MemoryPlanOptions, type StageNeeds} from "./train/memory-plan.js";
export {
    checkMemory, assertMemoryFits, readMachineMemory, formatFittingOptions, MEMORY_LIMIT_ENV,
    type MemoryCheck, type MemoryCheckOptions, type MachineMemory, type FittingOptions, type Shortfall
} from "./train/memory-check.js";
export {checkBootstrapMemory, type BootstrapMemoryOptions} from "./pipeline/bootstrap-memory.js";
export {partialForwardFeatures, type PartialForwardFeaturesOptions, type PartialForwardFeatures} from "./gate/partial-forward-features.js";
export {loadChatTokenizer, type LoadedChatTokenizer} from "./engine/load-chat-tokenizer.js";

// PRISM end to end: the bootstrap pipeline, its run directory, and routed inference from a finished run.
export {bootstrap, type BootstrapOptions as BootstrapRunOptions, type BootstrapEvent, type BootstrapResult} from "./pipeline/bootstrap.js";
export {BootstrapConfig, DEFAULT_DOMAINS, resolveBootstrapConfig, type BootstrapConfigInput} from "./pipeline/bootstrap-config.js";
export {PersonaRecord, QueryAttemptRecord, QueryRecord, AnswerRecord, VerdictRecord, DatasetRecord, GateScoreRecord} from "./pipeline/run-records.js";
export {RunSummary, computeRunSummary, readRunSummary, formatRunSummary, type DomainSummary} from "./pipeline/run-summary.js";
export {RunManifest, RunManifestError, STAGE_NAMES, runFiles, readRunManifest, type StageName, type StageState} from "./run/run-manifest.js";
export {openRun, IncompleteRunError, type OpenRunOptions, type OpenedRun} from "./run/open-run.js";
export {openRunRouter, RUN_ADAPTER_NAME, type OpenRunRouterOptions, type RunRouter} from "./run/open-run-router.js";
export {PLANTED_EFFECTS, WORLD_DOMAINS, TIERS, plantedRate, plantedWinRate, isPlantedRight, type PlantedEffect, type EffectKind, type WorldDomain, type AnswerCondition} from "./world/planted-effects.js";
export {generateWorldTasks, generateWorldTask, worldSplitOf, type GenerateWorldTasksOptions, type WorldSplit} from "./world/generate-tasks.js";
export {scoreWorldAnswer} from "./world/score-world-answer.js";
export {renderWorldCorpus, renderChatml, PRISM_PROMPTS, type WorldPrompts, type WorldEpisode, type EpisodeKind, type RenderCorpusOptions} from "./world/render-corpus.js";
export type {WorldTask, TaskCheck} from "./world/world-task.js";
