// The public library API: what `import … from "prism-persona"` gives. The CLI is built on the same functions.

// Gate: training, the gate file, routed inference.
export {trainGate, type TrainGateOptions, type TrainGateResult} from "./gate/train-gate.js";
export {Gate, type GateKind, type GateDecision, type GateTrainingInfo, type GateCandidateReport} from "./gate/gate.js";
export {GateFeatureDefinition, type GateFeatures} from "./gate/gate-features.js";
export {saveGate, loadGate, gateToJson, gateFromJson, GateFileError, type LoadGateOptions, type GateFile} from "./gate/gate-file.js";
export {GateMismatchError} from "./gate/gate-mismatch-error.js";
export {describeGate, type GateDescription} from "./gate/describe-gate.js";
export {createRouter, type CreateRouterOptions, type Router, type RoutedGenerateOptions, type RoutedGenerateResult} from "./gate/router.js";
export {gateRouter, type GateRouter, type GateRouterOptions} from "./gate/gate-router.js";
export {decisionPrompt, type RoutingPolicy} from "./gate/routing-policy.js";
export {binaryMetrics, rocAuc, type BinaryMetrics, type ConfusionCounts} from "./gate/binary-metrics.js";
export {calibrateThreshold, type ThresholdCalibration} from "./gate/calibrate-threshold.js";
