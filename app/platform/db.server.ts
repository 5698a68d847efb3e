import { mkdir } from "node:fs/promises";
import { type PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "~/generated/prisma/client.ts";
import { getEnv } from "./env.server.ts";
import { getLogger } from "./logger.server.ts";
import { migrate, type MigrationFile } from "./migrator.server.ts";
import { createPglite } from "./pglite.server.ts";
import { clientRunner, pgliteRunner, poolRunner, type SqlRunner } from "./sql-runner.server.ts";

/**
 * One PostgreSQL database, two ways to run it (docs/decisions/0001):
 * - embedded PGlite in this process (default; data under PGLITE_DATA_DIR), or
 * - a PostgreSQL server when DATABASE_URL is set.
 * Prisma, raw SQL and pg-boss all share it.
 */
export type Backend = "pglite" | "postgres";

export interface Database {
  backend: Backend;
  prisma: PrismaClient;
  sql: SqlRunner;
  /** The embedded engine, when backend is "pglite" (pg-boss runs on it in-process). */
  pglite?: PGlite;
  /** Connection string, when backend is "postgres". */
  connectionString?: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; wins over everything else. */
  connectionString?: string;
  /** Directory for an embedded database ("memory://" for a throwaway one). */
  dataDir?: string;
  /** An already-open PGlite (tests load it from a migrated template). */
  pglite?: PGlite;
  /** Skip migrations (the caller has applied them, e.g. a cloned template). */
  skipMigrations?: boolean;
  migrations?: MigrationFile[];
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.connectionString) return openPostgres(options.connectionString, options);
  const pglite = options.pglite ?? (await openPglite(options.dataDir ?? getEnv().PGLITE_DATA_DIR));
  const sql = pgliteRunner(pglite);
  if (!options.skipMigrations) await migrate(sql, options.migrations);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    backend: "pglite",
    prisma,
    sql,
    pglite,
    async close() {
      await prisma.$disconnect();
      if (!pglite.closed) await pglite.close();
    },
  };
}

async function openPglite(dataDir: string): Promise<PGlite> {
  if (!dataDir.startsWith("memory://")) await mkdir(dataDir, { recursive: true });
  const started = Date.now();
  const pglite = await createPglite({ dataDir });
  getLogger().info({ ms: Date.now() - started, embedded: true }, "database opened");
  return pglite;
}

async function openPostgres(
  connectionString: string,
  options: OpenDatabaseOptions,
): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max: 4 });
  // An idle connection the server ends (failover, a DBA's pg_terminate_backend) is reported as an
  // 'error' on its pool; with nobody listening Node would end the whole process. The pool opens a
  // new connection on next use, so a warning is all it needs.
  const onIdleConnectionLost = (error: Error) =>
    getLogger().warn(
      { code: (error as { code?: unknown }).code },
      "database connection lost while idle",
    );
  pool.on("error", onIdleConnectionLost);
  if (!options.skipMigrations) {
    // Migrations need one connection throughout: the advisory lock is per session.
    const client = await pool.connect();
    try {
      await migrate(clientRunner(client), options.migrations);
    } finally {
      client.release();
    }
  }
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString, max: 8 }, { onPoolError: onIdleConnectionLost }),
  });
  return {
    backend: "postgres",
    prisma,
    sql: poolRunner(pool),
    connectionString,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

// The web process holds one database for its lifetime. globalThis survives Vite's module
// reloads in development, so a reload never opens the same PGlite directory twice.
const holder = globalThis as unknown as { __pkbDeskDatabase?: Promise<Database> };

/** The process's database, opened (and migrated) on first use. */
export function getDatabase(): Promise<Database> {
  holder.__pkbDeskDatabase ??= openDatabase({
    connectionString: getEnv().DATABASE_URL,
    dataDir: getEnv().PGLITE_DATA_DIR,
  }).catch((error: unknown) => {
    holder.__pkbDeskDatabase = undefined;
    throw error;
  });
  return holder.__pkbDeskDatabase;
}

/** Shorthand for domain modules. */
export async function prisma(): Promise<PrismaClient> {
  return (await getDatabase()).prisma;
}

/** Tests and scripts install an already-open database. */
export function setDatabase(database: Database | undefined): void {
  holder.__pkbDeskDatabase = database ? Promise.resolve(database) : undefined;
}

export async function closeDatabase(): Promise<void> {
  const pending = holder.__pkbDeskDatabase;
  holder.__pkbDeskDatabase = undefined;
  if (pending) await (await pending).close();
}
