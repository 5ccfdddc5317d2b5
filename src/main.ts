import pkg from "../package.json";
import { ConfigError, loadConfig } from "./config";
import { serve } from "./server";

const USAGE = `usage: checkin [serve|--version|--help]
  serve       run one instance configured from the environment (default)
  --version   print the version`;

function main(argv: string[]): void {
  const command = argv[0] ?? "serve";
  switch (command) {
    case "--version":
    case "version":
      console.log(pkg.version);
      return;
    case "--help":
    case "help":
      console.log(USAGE);
      return;
    case "serve":
      try {
        serve(loadConfig(process.env, pkg.version));
      } catch (error) {
        if (error instanceof ConfigError) {
          console.error(`configuration error: ${error.message}`);
          process.exit(78);
        }
        throw error;
      }
      return;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      process.exit(64);
  }
}

main(process.argv.slice(2));
