import pino, { type Logger, type DestinationStream } from "pino";

/**
 * Structured logs. Patient data never goes into logs: call sites log ids, counts and hashes.
 * Redaction is the safety net for the fields that could carry secrets or personal data if a
 * careless call site passed a whole object.
 */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "access_token",
  "*.access_token",
  "refresh_token",
  "*.refresh_token",
  "clientSecret",
  "*.clientSecret",
  "client_secret",
  "*.client_secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.cookie",
  "cookie",
  "*.cookie",
  "csrf",
  "*.csrf",
  "email",
  "*.email",
  "nhsNumber",
  "*.nhsNumber",
  "firstName",
  "*.firstName",
  "lastName",
  "*.lastName",
  "displayName",
  "*.displayName",
  "phone",
  "*.phone",
  "mobile",
  "*.mobile",
  "dateOfBirth",
  "*.dateOfBirth",
  "content",
  "*.content",
  "subject",
  "*.subject",
];

export function createLogger(
  options: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      base: { service: "pkb-desk" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

const globalForLogger = globalThis as unknown as { __pkbDeskLogger?: Logger };

/** The process-wide logger. Tests may replace it to capture output. */
export function getLogger(): Logger {
  globalForLogger.__pkbDeskLogger ??= createLogger();
  return globalForLogger.__pkbDeskLogger;
}

export function setLogger(logger: Logger): void {
  globalForLogger.__pkbDeskLogger = logger;
}
