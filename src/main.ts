import { MongoClient } from "mongodb";
import pkg from "../package.json";
import { ConfigError, loadConfig } from "./config";
import { seedDemo } from "./demo/seed";
import { serve } from "./server";

const USAGE = `usage: checkin [serve|seed-demo|--version|--help]
  serve       run one instance configured from the environment (default)
  seed-demo   load the demo conference into MONGODB_URI unless it holds sessions; print badge codes to try
  --version   print the version`;

function configOrExit() {
  try {
    return loadConfig(process.env, pkg.version);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
}

async function seed(): Promise<void> {
  const config = configOrExit();
  const client = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 10_000 });
  try {
    const summary = await seedDemo(client.db(config.mongodbDbName));
    console.log(
      `demo: ${summary.created ? "created" : "kept existing data:"} ${summary.sessions} sessions, ` +
        `${summary.participants} participants, ${summary.registrations} registrations`,
    );
    if (summary.openSession) {
      const base = process.env.PUBLIC_URL ?? "";
      console.log(`demo: scanner for "${summary.openSession.name}": ${base}/scan/${summary.openSession.id}`);
      console.log(`demo: registered badges to try: ${summary.tryCodes.registered.join(" ")}`);
      console.log(
        `demo: unregistered badges (ask for a decision): ${summary.tryCodes.unregistered.join(" ")}`,
      );
    }
  } finally {
    await client.close();
  }
}

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
      serve(configOrExit());
      return;
    case "seed-demo":
      seed().catch((error) => {
        console.error(`seed-demo failed: ${error instanceof Error ? error.message : error}`);
        process.exit(1);
      });
      return;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      process.exit(64);
  }
}

main(process.argv.slice(2));
