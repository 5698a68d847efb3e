import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { SqlRunner } from "./sql-runner.server.ts";

/**
 * Applies prisma/migrations/<name>/migration.sql in order and records each in Prisma's own
 * `_prisma_migrations` table (same columns, SHA-256 checksum of the file), so that
 * `prisma migrate deploy` on a machine that has Prisma's engine agrees with what we applied.
 * See docs/decisions/0003-migrations-without-prisma-engine.md.
 */

// Prisma's own advisory-lock key, so our migrator and `prisma migrate deploy` exclude each other.
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export function defaultMigrationsDir(): string {
  return process.env.PKB_DESK_MIGRATIONS_DIR ?? path.resolve(process.cwd(), "prisma/migrations");
}

export async function readMigrations(dir = defaultMigrationsDir()): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(dir, name, "migration.sql"));
      return {
        name,
        sql: bytes.toString("utf8"),
        checksum: createHash("sha256").update(bytes).digest("hex"),
      };
    }),
  );
}

interface AppliedRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies every migration not yet applied. Safe to call at every start and from many processes. */
export async function migrate(
  runner: SqlRunner,
  migrations?: MigrationFile[],
): Promise<MigrationResult> {
  const files = migrations ?? (await readMigrations());
  // Lock first: two processes starting together on a fresh database must not both create the table.
  await runner.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
  try {
    await runner.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await runner.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const applied = new Map(
      rows.filter((row) => row.rolled_back_at == null).map((row) => [row.migration_name, row]),
    );
    // Refuse before changing anything if the database is ahead of this build.
    const known = new Set(files.map((file) => file.name));
    const unknown = [...applied.keys()].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new MigrationError(
        `The database has migrations this build does not know: ${unknown.join(", ")}. ` +
          `Is an older build running against a newer database?`,
      );
    }
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      const row = applied.get(file.name);
      if (row) {
        if (row.finished_at == null) {
          throw new MigrationError(
            `Migration ${file.name} started but did not finish. Inspect the database, then mark it ` +
              `rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() ...) and restart.`,
          );
        }
        if (row.checksum !== file.checksum) {
          throw new MigrationError(
            `Migration ${file.name} was edited after it was applied (checksum differs). ` +
              `Migrations are append-only: write a new migration instead.`,
          );
        }
        result.alreadyApplied.push(file.name);
        continue;
      }
      // Transactional DDL: a failing migration leaves no trace and no half-applied schema.
      await runner.transaction(async (tx) => {
        await tx.exec(file.sql);
        await tx.query(
          `INSERT INTO "_prisma_migrations"
             (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, NULL, now(), 1)`,
          [randomUUID(), file.checksum, file.name],
        );
      });
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await runner.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
  }
}

/** True when every migration in the folder is recorded as applied (for /readyz). */
export async function migrationsUpToDate(
  runner: SqlRunner,
  migrations?: MigrationFile[],
): Promise<boolean> {
  const files = migrations ?? (await readMigrations());
  const rows = await runner.query<{ migration_name: string } & Record<string, unknown>>(
    `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const applied = new Set(rows.map((row) => row.migration_name));
  return files.every((file) => applied.has(file.name));
}
