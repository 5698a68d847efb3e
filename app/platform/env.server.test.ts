import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "./env.server.ts";

describe("configuration", () => {
  it("stops production start-up naming each missing secret", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(ConfigError);
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(
      /SESSION_SECRET and ENCRYPTION_KEYS/,
    );
    expect(() => parseEnv({ NODE_ENV: "production", SESSION_SECRET: "s".repeat(40) })).toThrow(
      /ENCRYPTION_KEYS/,
    );
  });

  it("requires https for the public address in production, except on this machine", () => {
    const secrets = {
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32).toString("base64")}`,
    };
    expect(() => parseEnv({ ...secrets, APP_ORIGIN: "http://pkbdesk.trust.nhs.uk" })).toThrow(
      /must be an https/,
    );
    expect(parseEnv({ ...secrets, APP_ORIGIN: "http://localhost:3000" }).secureCookies).toBe(false);
    expect(parseEnv({ ...secrets, APP_ORIGIN: "https://pkbdesk.trust.nhs.uk" }).secureCookies).toBe(
      true,
    );
  });

  it("names the variable and the reason for a malformed value", () => {
    expect(() => parseEnv({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => parseEnv({ SESSION_SECRET: "short" })).toThrow(
      /SESSION_SECRET must be at least 32 characters/,
    );
  });

  it("runs development on safe defaults and marks https origins for secure cookies", () => {
    const dev = parseEnv({});
    expect(dev.isProduction).toBe(false);
    expect(dev.secureCookies).toBe(false);
    expect(dev.DATABASE_URL).toBeUndefined();
    const prod = parseEnv({
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32).toString("base64")}`,
      APP_ORIGIN: "https://pkbdesk.example.nhs.uk",
    });
    expect(prod.secureCookies).toBe(true);
  });
});
