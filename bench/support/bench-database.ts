/**
 * A throwaway, migrated database for one benchmark run:
 * - PostgreSQL when BENCH_POSTGRES_URL (or DATABASE_URL) names a server: a scratch database
 *   `pkbdesk_bench_<name>_<random>` is created on it and dropped afterwards, so a bench never
 *   writes into a database someone else uses;
 * - embedded PGlite on disk (as the portal runs it) in a temporary directory otherwise.
 *
 * It also measures where the time went on a machine shared with other work: the CPU time of
 * this process (PGlite runs inside it) and of the PostgreSQL server processes serving the
 * scratch database (read from /proc, so only when the server runs on this machine).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { openDatabase, type Database } from "../../app/platform/db.server.ts";

export interface BenchDatabase {
  database: Database;
  /** CPU seconds used so far by the PostgreSQL backends serving the scratch database. */
  serverCpuSeconds(): Promise<number | null>;
  close(): Promise<void>;
}

export function benchServerUrl(): string | undefined {
  return process.env.BENCH_POSTGRES_URL ?? process.env.DATABASE_URL;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function openBenchDatabase(name: string): Promise<BenchDatabase> {
  const url = benchServerUrl();
  if (!url) {
    const dir = mkdtempSync(path.join(tmpdir(), `pkbdesk-${name}-bench-`));
    const database = await openDatabase({ dataDir: path.join(dir, "pglite") });
    return {
      database,
      serverCpuSeconds: async () => null,
      async close() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const scratch = `pkbdesk_bench_${name.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${scratch}`);
  const database = await openDatabase({ connectionString: withDatabase(url, scratch) });
  // Backends that served the scratch database and have gone keep their CPU in this tally.
  const cpuByPid = new Map<number, number>();
  const serverCpuSeconds = async () => {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1",
      [scratch],
    );
    for (const { pid } of rows) {
      const seconds = processCpuSeconds(pid);
      if (seconds !== null) cpuByPid.set(pid, seconds);
    }
    return cpuByPid.size === 0 && rows.length > 0
      ? null
      : [...cpuByPid.values()].reduce((sum, value) => sum + value, 0);
  };
  return {
    database,
    serverCpuSeconds,
    async close() {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** utime + stime of a local process, in seconds; null when it cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command: state is field 3, utime 14, stime 15 (1-based) → indexes 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** CPU seconds of this process since `since` (process.cpuUsage()). */
export function ownCpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** The machine's 1-minute load average and core count, to read the wall-clock figures by. */
export function machineLoad() {
  return { loadAverage1m: Math.round(loadavg()[0]! * 100) / 100, cores: availableParallelism() };
}
