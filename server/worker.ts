import { ConfigError, parseEnv } from "../app/platform/env.server.ts";
import { closeDatabase, getDatabase } from "../app/platform/db.server.ts";
import { getLogger } from "../app/platform/logger.server.ts";
import { startJobRuntime, stopJobRuntime } from "../app/platform/jobs/runtime.server.ts";

/**
 * `npm run worker`: job workers without the web server, for scaling out on PostgreSQL.
 * Refused on the embedded database: PGlite lives inside one process, and that process is the
 * web server, which already runs the workers.
 */
try {
  const env = parseEnv();
  if (!env.DATABASE_URL) {
    console.error(
      "npm run worker needs PostgreSQL: set DATABASE_URL.\n" +
        "On the embedded database (PGlite) the web process runs the workers itself; start it with npm start.",
    );
    process.exit(1);
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`PKB Desk worker cannot start.\n${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = getLogger();
const database = await getDatabase();
await startJobRuntime({ runWorkers: true, database });
logger.info("worker process started");
console.log("PKB Desk workers are running. Stop with Ctrl+C.");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "worker shutting down");
  const timer = setTimeout(() => process.exit(1), 30_000);
  await stopJobRuntime();
  await closeDatabase();
  clearTimeout(timer);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
