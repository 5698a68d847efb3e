import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

/**
 * Every embedded PGlite the app, its tests and benchmarks open, with the extensions the
 * migrations use loaded (PostgreSQL servers ship them as contrib; PGlite loads them per instance):
 * pg_trgm for the worklist's patient-name search (docs/decisions/0011).
 */
export function createPglite(options: Omit<PGliteOptions, "extensions"> = {}): Promise<PGlite> {
  return PGlite.create({ ...options, extensions: { pg_trgm } });
}
