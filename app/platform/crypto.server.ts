import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";

/**
 * Secrets at rest (refresh tokens, invitation tokens, client secrets): AES-256-GCM with a random
 * 96-bit IV, a key id prefix so keys can rotate, and the owning row's id as associated data, so
 * a ciphertext copied onto another row does not decrypt (quality.md, Secrets at rest).
 *
 * Format: `v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>`
 */
export interface KeyRing {
  /** The key new values are encrypted with. */
  currentKeyId: string;
  keys: Map<string, Buffer>;
}

export class DecryptionError extends Error {
  override name = "DecryptionError";
}

/** Parses ENCRYPTION_KEYS: comma-separated `keyId:base64(32 bytes)`; the first one encrypts. */
export function parseKeyRing(spec: string): KeyRing {
  const keys = new Map<string, Buffer>();
  let currentKeyId: string | undefined;
  for (const part of spec
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)) {
    const separator = part.indexOf(":");
    const keyId = part.slice(0, separator);
    if (separator < 1 || !/^[A-Za-z0-9_-]{1,32}$/.test(keyId)) {
      throw new Error("ENCRYPTION_KEYS: each entry must look like keyId:base64key");
    }
    const key = Buffer.from(part.slice(separator + 1), "base64");
    if (key.length !== 32) {
      throw new Error(`ENCRYPTION_KEYS: key ${keyId} must be 32 bytes (base64)`);
    }
    if (keys.has(keyId)) throw new Error(`ENCRYPTION_KEYS: key id ${keyId} appears twice`);
    keys.set(keyId, key);
    currentKeyId ??= keyId;
  }
  if (!currentKeyId) throw new Error("ENCRYPTION_KEYS: no keys given");
  return { currentKeyId, keys };
}

/**
 * IVs come from a pool refilled from the CSPRNG 4096 at a time: each is as random as a
 * `randomBytes(12)` of its own, but one system call serves thousands (a token batch seals 1000
 * values; per-call `randomBytes` was a third of the token run's CPU, ADR 0013).
 */
const IV_BYTES = 12;
const ivPool = Buffer.alloc(IV_BYTES * 4096);
let ivOffset = ivPool.length;
function nextIv(): Buffer {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  // A copy: the pool is overwritten on the next refill.
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + IV_BYTES));
  ivOffset += IV_BYTES;
  return iv;
}

export function encryptSecret(ring: KeyRing, plaintext: string, rowId: string): string {
  const key = ring.keys.get(ring.currentKeyId)!;
  const iv = nextIv();
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(rowId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", ring.currentKeyId, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export function decryptSecret(ring: KeyRing, sealed: string, rowId: string): string {
  const [version, keyId, iv, tag, ciphertext] = sealed.split(".");
  if (version !== "v1" || !keyId || !iv || !tag || ciphertext == null) {
    throw new DecryptionError("not a sealed secret");
  }
  const key = ring.keys.get(keyId);
  if (!key) throw new DecryptionError(`unknown key id ${keyId}`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(rowId, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, "base64url")),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new DecryptionError(
      "the secret does not decrypt for this row (tampered, moved, or wrong key)",
    );
  }
}

/** True when a value was sealed with an older key and should be re-encrypted. */
export function needsRotation(ring: KeyRing, sealed: string): boolean {
  return sealed.split(".")[1] !== ring.currentKeyId;
}
