import { z } from "zod";
import { parseKeyRing } from "./crypto.server.ts";

/**
 * Configuration, parsed once at boot. In production a missing secret stops start-up with a
 * message that names the variable; in development and tests fixed, clearly-labelled
 * defaults keep the two-command promise of the README.
 */
const DEV_SESSION_SECRET = "dev-only-session-secret-not-for-production-use";
// 32 zero-ish bytes, base64: obviously not a real key.
const DEV_ENCRYPTION_KEYS = "dev1:ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=";

const booleanish = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  /** Public origin, e.g. https://pkbdesk.trust.nhs.uk. Decides Secure/__Host- cookies and CSRF origin checks. */
  APP_ORIGIN: z.url().optional(),
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  DATABASE_URL: z.string().min(1).optional(),
  PGLITE_DATA_DIR: z.string().default("./data/pglite"),
  SESSION_SECRET: z.string().min(32, "SESSION_SECRET must be at least 32 characters").optional(),
  /** Comma-separated `keyId:base64(32 bytes)`; the first key encrypts, all keys decrypt. */
  ENCRYPTION_KEYS: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Run job workers inside the web process (default). Set false when `npm run worker` runs them. */
  RUN_WORKERS: booleanish.default(true),
  /**
   * Register the recurring jobs (request sync every five minutes, hourly tracking and
   * housekeeping). The browser tests set false so no scheduled run lands in the middle of a
   * test. False does not remove schedules another process already registered on the database.
   */
  JOB_SCHEDULES: booleanish.default(true),
  /** Trust X-Forwarded-For from this many proxies in front of the app. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
  PKB_BASE_URL: z.url().default("http://127.0.0.1:4010"),
});

export type Env = z.infer<typeof EnvSchema> & {
  SESSION_SECRET: string;
  ENCRYPTION_KEYS: string;
  isProduction: boolean;
  /** Cookies get Secure and the __Host- prefix when the public origin is https. */
  secureCookies: boolean;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // An empty variable (`DATABASE_URL=` in a unit file) means "not set", not "set to nothing".
  const result = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(source).filter(([, value]) => value !== "")),
  );
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = result.data;
  const isProduction = env.NODE_ENV === "production";
  if (isProduction) {
    const missing = (["SESSION_SECRET", "ENCRYPTION_KEYS", "APP_ORIGIN"] as const).filter(
      (name) => !env[name],
    );
    if (missing.length > 0) {
      throw new ConfigError(
        `Missing required configuration in production: ${missing.join(", ")}. ` +
          `Set ${missing.join(" and ")} in the environment (see .env.example).`,
      );
    }
  }
  // Cookies are Secure only over https; plain http is for this machine alone (the demo).
  if (isProduction && env.APP_ORIGIN && !isHttpsOrLoopback(env.APP_ORIGIN)) {
    throw new ConfigError(
      "APP_ORIGIN must be an https:// address in production (http is allowed only for localhost).",
    );
  }
  if (env.ENCRYPTION_KEYS) {
    try {
      parseKeyRing(env.ENCRYPTION_KEYS);
    } catch (error) {
      throw new ConfigError(`Invalid configuration:\n  ${(error as Error).message}`);
    }
  }
  return {
    ...env,
    SESSION_SECRET: env.SESSION_SECRET ?? DEV_SESSION_SECRET,
    ENCRYPTION_KEYS: env.ENCRYPTION_KEYS ?? DEV_ENCRYPTION_KEYS,
    isProduction,
    secureCookies: env.APP_ORIGIN?.startsWith("https://") ?? false,
  };
}

function isHttpsOrLoopback(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

let cached: Env | undefined;

/** The process's configuration, parsed on first use. */
export function getEnv(): Env {
  cached ??= parseEnv();
  return cached;
}

/** For tests that need a different configuration. */
export function setEnvForTesting(env: Env | undefined): void {
  cached = env;
}
