#!/usr/bin/env node
import yargs from "yargs";
import {hideBin} from "yargs/helpers";
import {commands} from "./commands.js";
import {readPackageVersion} from "../util/package-version.js";

const cli = yargs(hideBin(process.argv))
    .scriptName("prism")
    .usage("$0 <command> [options]\n\nPRISM: expert personas' gains without their costs. The model writes its own personas and queries,\n" +
        "judges its own answers, distils the winning persona behaviour into a LoRA adapter, and a learned gate\nturns it on only where it helps.")
    .version(readPackageVersion())
    .strict()
    .demandCommand(1, "name a command (prism --help lists them)")
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .epilogue("Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad input file, 4 resources, 130 interrupted.")
    .fail((message, error, y) => {
        if (error) throw error;
        process.stderr.write(`${y.help() && ""}prism: ${message}\n(run with --help for usage)\n`);
        process.exit(2);
    });
for (const command of commands) cli.command(command);
await cli.parseAsync();
