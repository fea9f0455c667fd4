// The public library API; the CLI uses the same exports.
export {LoraTrainer, type LoraTrainerOptions, type TrainOptions, type TrainPlan, type TrainProgress, type TrainResult, type EvaluationResult} from "./train/lora-trainer.js";
export {trainLora, type TrainLoraOptions, type TrainLoraResult} from "./train/train-lora.js";
export {TrainConfig, resolveTrainConfig, type TrainConfigInput} from "./train/train-config.js";
export {readChatRecords, tokenizeExamples, teacherMessages, ChatRecord, type TrainingExample} from "./train/training-example.js";
export {PartialForward, type PartialForwardOptions, type HiddenStateFeature} from "./train/partial-forward.js";
export {GgmlModel, type GgmlModelOptions, type LogitsOptions} from "./train/ggml-model.js";
