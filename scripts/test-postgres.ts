import { spawnSync } from "node:child_process";
import pg from "pg";

/**
 * `npm run test:postgres`: the database-backed suite on a real PostgreSQL server instead of
 * embedded PGlite. Uses TEST_DATABASE_URL (default: the local server CI machines have), starting
 * the local cluster first if it is installed but not running.
 */
const url = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

if (!(await reachable())) {
  console.log("PostgreSQL is not answering; trying to start the local cluster…");
  const versions = spawnSync("ls", ["/etc/postgresql"], { encoding: "utf8" })
    .stdout.trim()
    .split("\n")
    .filter(Boolean);
  for (const version of versions) {
    spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], {
      stdio: "inherit",
    });
  }
  for (let attempt = 0; attempt < 30 && !(await reachable()); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (!(await reachable())) {
    console.error(
      `Cannot reach PostgreSQL at ${url}. Set TEST_DATABASE_URL to a server where the user may CREATE DATABASE.`,
    );
    process.exit(1);
  }
}

const result = spawnSync("npx", ["vitest", "run", "app", "server", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, TEST_DATABASE_URL: url },
});
process.exit(result.status ?? 1);
