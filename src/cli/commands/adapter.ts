import type {CommandModule} from "yargs";
import {AdapterConvertCommand} from "./adapter-convert.js";

export const AdapterCommand: CommandModule = {
    command: "adapter <command>",
    describe: "Work with LoRA adapters (GGUF files and PEFT directories)",
    builder: (y) => y.command(AdapterConvertCommand).demandCommand(1, "name an adapter command (prism adapter --help lists them)"),
    handler: () => undefined
};
