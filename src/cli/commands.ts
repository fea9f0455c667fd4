import type {CommandModule} from "yargs";
import {AdapterCommand} from "./commands/adapter.js";
import {BootstrapCommand} from "./commands/bootstrap.js";
import {ChatCommand} from "./commands/chat.js";
import {DemoCommand} from "./commands/demo.js";
import {EvalCommand} from "./commands/eval.js";
import {GateInfoCommand} from "./commands/gate-info.js";
import {GenerateCommand} from "./commands/generate.js";
import {InfoCommand} from "./commands/info.js";
import {MergeCommand} from "./commands/merge.js";
import {PlanCommand} from "./commands/plan.js";
import {ServeCommand} from "./commands/serve.js";
import {ReportCommand} from "./commands/report.js";
import {StudyCommand} from "./commands/study.js";
import {TinyLoraCommand} from "./commands/tiny-lora.js";
import {TinyModelCommand} from "./commands/tiny-model.js";
import {TrainCommand} from "./commands/train.js";
import {WorldCommand} from "./commands/world.js";

/** Every `prism` subcommand, in the order --help lists them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<object, any>[] = [
    DemoCommand,
    PlanCommand,
    BootstrapCommand,
    GenerateCommand,
    ChatCommand,
    ServeCommand,
    EvalCommand,
    StudyCommand,
    ReportCommand,
    TinyModelCommand,
    TinyLoraCommand,
    WorldCommand,
    InfoCommand,
    AdapterCommand,
    MergeCommand,
    GateInfoCommand,
    TrainCommand
];
