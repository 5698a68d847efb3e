/**
 * Masks path segments that look like secrets (set-password links, future OAuth codes) before a
 * path is logged. UUIDs and short words stay: they are ids, useful in logs and not secrets.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN_LIKE = /^[A-Za-z0-9_\-.~%]{20,}$/;

export function maskTokens(path: string): string {
  return path
    .split("/")
    .map((segment) => (TOKEN_LIKE.test(segment) && !UUID.test(segment) ? ":redacted" : segment))
    .join("/");
}
