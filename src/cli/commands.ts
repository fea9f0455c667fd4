import type {CommandModule} from "yargs";
import {InfoCommand} from "./commands/info.js";
import {TinyLoraCommand} from "./commands/tiny-lora.js";
import {TinyModelCommand} from "./commands/tiny-model.js";
import {TrainCommand} from "./commands/train.js";

/** Every `prism` subcommand, in the order --help lists them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<object, any>[] = [
    TinyModelCommand,
    TinyLoraCommand,
    InfoCommand,
    TrainCommand
];
