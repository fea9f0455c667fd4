import type {CommandModule} from "yargs";
import {WorldBuildCommand} from "./world-build.js";

export const WorldCommand: CommandModule = {
    command: "world <command>",
    describe: "The planted world: a small chat model whose persona effects are known",
    builder: (y) => y.command(WorldBuildCommand).demandCommand(1, "name a world command (prism world --help lists them)"),
    handler: () => undefined
};
