import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decryptSecret,
  DecryptionError,
  encryptSecret,
  needsRotation,
  parseKeyRing,
} from "./crypto.server.ts";

const key = () => randomBytes(32).toString("base64");

describe("secrets at rest", () => {
  it("round-trips, and the ciphertext shows neither the secret nor repeats for the same input", () => {
    const ring = parseKeyRing(`k1:${key()}`);
    const sealed = encryptSecret(ring, "refresh-token-abc123", "row-1");
    expect(sealed.startsWith("v1.k1.")).toBe(true);
    expect(sealed).not.toContain("refresh-token-abc123");
    expect(encryptSecret(ring, "refresh-token-abc123", "row-1")).not.toBe(sealed);
    expect(decryptSecret(ring, sealed, "row-1")).toBe("refresh-token-abc123");
  });

  it("never reuses an IV, across refills of the IV pool, and every value still decrypts", () => {
    const ring = parseKeyRing(`k1:${key()}`);
    const ivs = new Set<string>();
    const count = 10_000; // more than two refills of the 4096-IV pool
    for (let index = 0; index < count; index++) {
      const sealed = encryptSecret(ring, `token-${index}`, `row-${index}`);
      ivs.add(sealed.split(".")[2]!);
      if (index % 997 === 0) {
        expect(decryptSecret(ring, sealed, `row-${index}`)).toBe(`token-${index}`);
      }
    }
    expect(ivs.size).toBe(count);
  });

  it("refuses a ciphertext copied to another row, or tampered with", () => {
    const ring = parseKeyRing(`k1:${key()}`);
    const sealed = encryptSecret(ring, "secret", "row-1");
    expect(() => decryptSecret(ring, sealed, "row-2")).toThrow(DecryptionError);
    const parts = sealed.split(".");
    parts[4] = Buffer.from("evil").toString("base64url");
    expect(() => decryptSecret(ring, parts.join("."), "row-1")).toThrow(DecryptionError);
  });

  it("rotates: old values still decrypt with the old key while new ones use the first key", () => {
    const oldKey = key();
    const before = parseKeyRing(`old:${oldKey}`);
    const sealed = encryptSecret(before, "secret", "row-1");
    const after = parseKeyRing(`new:${key()},old:${oldKey}`);
    expect(decryptSecret(after, sealed, "row-1")).toBe("secret");
    expect(needsRotation(after, sealed)).toBe(true);
    expect(needsRotation(after, encryptSecret(after, "secret", "row-1"))).toBe(false);
    expect(() => decryptSecret(parseKeyRing(`new:${key()}`), sealed, "row-1")).toThrow(
      /unknown key id old/,
    );
  });

  it("rejects malformed key configuration with a message naming the problem", () => {
    expect(() => parseKeyRing("")).toThrow(/no keys/);
    expect(() => parseKeyRing("k1:c2hvcnQ=")).toThrow(/32 bytes/);
    expect(() => parseKeyRing(`k1:${key()},k1:${key()}`)).toThrow(/appears twice/);
  });
});
