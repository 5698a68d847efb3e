/**
 * Characters PostgreSQL will not store in `text` (ADR 0016): the NUL character (U+0000 — "invalid
 * byte sequence for encoding UTF8: 0x00") and UTF-16 halves without their other half (lone
 * surrogates, which have no UTF-8 form). A value holding one would fail deep inside a query and
 * answer 500, so they are refused where input enters — form parsing (guard.server.ts `readForm`)
 * and the URL (server/hardening.ts) — with a message naming the field.
 */
// No `u` flag: with it, a lone surrogate could not be matched on its own.
const UNSTORABLE_UTF16 =
  // eslint-disable-next-line no-control-regex
  /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a value, in words for a person, or null when it can be stored. */
export function unstorableCharacter(value: string): string | null {
  const match = UNSTORABLE_UTF16.exec(value);
  if (!match) return null;
  return match[0] === "\u0000"
    ? "an invisible NUL (zero) character"
    : "a broken character (half of an emoji or other symbol)";
}

/** A field or parameter name safe to show back: unstorable characters replaced, length capped. */
export function displayName(name: string): string {
  const cleaned = name.replace(new RegExp(UNSTORABLE_UTF16.source, "g"), "\uFFFD");
  return cleaned.length > 60 ? `${cleaned.slice(0, 60)}…` : cleaned;
}

export interface UnstorableInput {
  /** The field (form) or parameter (URL) name, as sent. */
  name: string;
  problem: string;
}

/** The first entry whose name or (text) value cannot be stored; files are checked by importers. */
export function findUnstorable(
  entries: Iterable<[string, FormDataEntryValue | string]>,
): UnstorableInput | null {
  for (const [name, value] of entries) {
    const problem =
      unstorableCharacter(name) ?? (typeof value === "string" ? unstorableCharacter(value) : null);
    if (problem) return { name, problem };
  }
  return null;
}

export function unstorableFieldMessage(input: UnstorableInput): string {
  return `The “${displayName(input.name)}” field contains ${input.problem}, which PKB Desk cannot store. It usually comes from text copied out of another program. Retype the text in that field and send the form again.`;
}

export function unstorableParameterMessage(input: UnstorableInput): string {
  return `The address has ${input.problem} in its “${displayName(input.name)}” part, which PKB Desk cannot use. Go back and try again from the page.`;
}
