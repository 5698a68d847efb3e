import { hash32 } from "../random.ts";

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

/**
 * A version-4-shaped UUID derived from (seed, label, index): the same seed always yields the same
 * Public IDs, so a demo script or test can rely on them.
 */
export function deterministicUuid(seed: number, label: string, index: number): string {
  const a = hex8(hash32(`${label}:${index}:a`, seed));
  const b = hex8(hash32(`${label}:${index}:b`, seed));
  const c = hex8(hash32(`${label}:${index}:c`, seed));
  const d = hex8(hash32(`${label}:${index}:d`, seed));
  const variant = ((parseInt(c[0] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

/**
 * Appointment ids are reversible (the last 12 hex digits carry the index, masked) so a million
 * appointments need no id strings or id map in memory.
 */
export function appointmentId(seed: number, index: number): string {
  const mask = hash32("appointment-mask", seed) & 0xffffff;
  const head = hex8(hash32(`appointment:${index}`, seed));
  const mid = hex8(hash32(`appointment:${index}:m`, seed));
  const tail = ((index ^ mask) >>> 0).toString(16).padStart(12, "0");
  return `${head}-${mid.slice(0, 4)}-4${mid.slice(5, 8)}-a${head.slice(1, 4)}-${tail}`;
}

export function appointmentIndexFromId(seed: number, id: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) {
    return undefined;
  }
  const mask = hash32("appointment-mask", seed) & 0xffffff;
  const index = (parseInt(id.slice(24), 16) ^ mask) >>> 0;
  return appointmentId(seed, index) === id ? index : undefined;
}
