import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";

/**
 * The few raw-SQL operations the platform needs (migrations, health checks, job admin),
 * over either backend. Domain code uses Prisma; this is for what Prisma cannot do.
 */
export interface SqlRunner {
  /** Runs one or more statements with no parameters (DDL, migration scripts). */
  exec(sql: string): Promise<void>;
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `work` on one connection inside BEGIN/COMMIT, rolling back on error. */
  transaction<T>(work: (runner: SqlRunner) => Promise<T>): Promise<T>;
}

export function pgliteRunner(db: PGlite): SqlRunner {
  return {
    async exec(sql) {
      await db.exec(sql);
    },
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      const result = await db.query<Row>(sql, params);
      return result.rows;
    },
    async transaction(work) {
      return db.transaction(async (tx) => {
        const inner: SqlRunner = {
          async exec(sql) {
            await tx.exec(sql);
          },
          async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
            return (await tx.query<Row>(sql, params)).rows;
          },
          transaction: () => Promise.reject(new Error("nested transactions are not supported")),
        };
        return work(inner);
      });
    },
  };
}

/** Every statement on one connection: needed where session state matters (advisory locks). */
export function clientRunner(client: pg.ClientBase): SqlRunner {
  const runner: SqlRunner = {
    async exec(sql) {
      await client.query(sql);
    },
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      return (await client.query<Row>(sql, params)).rows;
    },
    async transaction(work) {
      await client.query("BEGIN");
      try {
        const result = await work({
          ...runner,
          transaction: () => Promise.reject(new Error("nested transactions are not supported")),
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    },
  };
  return runner;
}

export function poolRunner(pool: pg.Pool): SqlRunner {
  return {
    async exec(sql) {
      await pool.query(sql);
    },
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      const result = await pool.query<Row>(sql, params);
      return result.rows;
    },
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const inner: SqlRunner = {
          async exec(sql) {
            await client.query(sql);
          },
          async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
            return (await client.query<Row>(sql, params)).rows;
          },
          transaction: () => Promise.reject(new Error("nested transactions are not supported")),
        };
        const result = await work(inner);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
}
