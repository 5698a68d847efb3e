import {
  decryptSecret,
  encryptSecret,
  parseKeyRing,
  type KeyRing,
} from "~/platform/crypto.server.ts";
import { getEnv } from "~/platform/env.server.ts";

/**
 * The process's key ring for PKB secrets (client secrets, access and refresh tokens): sealed with
 * AES-256-GCM and the owning row's id as associated data, so a ciphertext moved to another row
 * does not decrypt.
 */
let cached: { spec: string; ring: KeyRing } | undefined;

function keyRing(): KeyRing {
  const spec = getEnv().ENCRYPTION_KEYS;
  if (cached?.spec !== spec) cached = { spec, ring: parseKeyRing(spec) };
  return cached.ring;
}

export function seal(plaintext: string, rowId: string): string {
  return encryptSecret(keyRing(), plaintext, rowId);
}

export function unseal(sealed: string, rowId: string): string {
  return decryptSecret(keyRing(), sealed, rowId);
}
