import { PgBoss, fromPglite } from "pg-boss";
import { getLogger } from "../logger.server.ts";
import type { Database } from "../db.server.ts";

export interface BossOptions {
  /** How often a worker polls for new jobs. */
  pollingIntervalSeconds?: number;
  /** How often pg-boss looks for expired (dead-worker) jobs. Lower in tests. */
  superviseIntervalSeconds?: number;
}

/** pg-boss on the portal's own database: in-process on PGlite, its own pool on PostgreSQL. */
export function createBoss(database: Database, options: BossOptions = {}): PgBoss {
  const common = {
    schema: "pgboss",
    superviseIntervalSeconds: options.superviseIntervalSeconds ?? 10,
    maintenanceIntervalSeconds: 60,
  };
  const boss =
    database.backend === "pglite" && database.pglite
      ? new PgBoss({ ...common, db: fromPglite(database.pglite), backend: "pglite" })
      : new PgBoss({ ...common, connectionString: database.connectionString, max: 4 });
  boss.on("error", (error: unknown) => getLogger().error({ err: error }, "job queue error"));
  return boss;
}
