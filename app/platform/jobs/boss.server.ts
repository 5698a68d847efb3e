import { PgBoss, fromPglite } from "pg-boss";
import { getLogger } from "../logger.server.ts";
import type { Database } from "../db.server.ts";

export interface BossOptions {
  /** How often a worker polls for new jobs. */
  pollingIntervalSeconds?: number;
  /** How often pg-boss runs its supervision pass. Lower in tests. */
  superviseIntervalSeconds?: number;
  /**
   * How often each queue is checked for expired jobs (a worker that died mid-job). pg-boss
   * stamps this per queue, so it bounds how long a dead worker's job waits before its retry.
   */
  monitorIntervalSeconds?: number;
  /**
   * How often each worker refreshes pg-boss's cached queue state. A stately or singleton job whose
   * worker died stays "active" in that cache until the next refresh, so its retry waits up to this
   * long after the heartbeat or expiry has already failed it (60 s by default; lower in tests).
   */
  queueCacheIntervalSeconds?: number;
}

/** pg-boss on the portal's own database: in-process on PGlite, its own pool on PostgreSQL. */
export function createBoss(database: Database, options: BossOptions = {}): PgBoss {
  const common = {
    schema: "pgboss",
    superviseIntervalSeconds: options.superviseIntervalSeconds ?? 10,
    monitorIntervalSeconds: options.monitorIntervalSeconds ?? 30,
    queueCacheIntervalSeconds: options.queueCacheIntervalSeconds ?? 60,
    maintenanceIntervalSeconds: 60,
  };
  const boss =
    database.backend === "pglite" && database.pglite
      ? new PgBoss({ ...common, db: fromPglite(database.pglite), backend: "pglite" })
      : new PgBoss({ ...common, connectionString: database.connectionString, max: 4 });
  boss.on("error", (error: unknown) => getLogger().error({ err: error }, "job queue error"));
  return boss;
}
