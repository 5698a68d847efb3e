/**
 * Invitation wording with ((placeholders)), as GOV.UK Notify writes them. The portal renders the
 * text itself (Notify's pass-through templates only carry it), so one set of rules covers letters,
 * text messages and e-mails, and the preview is exactly what is sent.
 */

export const PLACEHOLDERS = {
  name: "The patient's full name",
  "given name": "The patient's given name",
  "family name": "The patient's family name",
  "invitation code": "The invitation code (t1)",
  "access code": "The access code (t2)",
  "join link": "The Join PKB link with both codes filled in",
  "expiry date": "The date the codes stop working",
  "trust name": "The organisation sending the invitation",
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

/** Names that mean the date of birth: the patient proves it to PKB, so it is never printed. */
const DATE_OF_BIRTH = new Set(["dateofbirth", "dob", "birthdate", "birthday", "born"]);

const PATTERN = /\(\(([^()]*)\)\)/g;

function key(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, "");
}
const KNOWN = new Map<string, Placeholder>(
  (Object.keys(PLACEHOLDERS) as Placeholder[]).map((p) => [key(p), p]),
);

export interface TemplateProblem {
  field: string;
  message: string;
}

/** Every placeholder must be known; the date of birth is refused outright. */
export function checkPlaceholders(field: string, label: string, text: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const match of text.matchAll(PATTERN)) {
    const name = (match[1] ?? "").trim();
    if (DATE_OF_BIRTH.has(key(name))) {
      problems.push({
        field,
        message: `${label}: ((${name})) is not allowed. Invitations never show the date of birth — the patient proves it to PKB when they join.`,
      });
    } else if (!KNOWN.has(key(name))) {
      problems.push({
        field,
        message: `${label}: ((${name})) is not a placeholder. Use one of: ${Object.keys(
          PLACEHOLDERS,
        )
          .map((p) => `((${p}))`)
          .join(", ")}.`,
      });
    }
  }
  // Unbalanced brackets would print as they are: say so rather than send "((name".
  const stripped = text.replace(PATTERN, "");
  if (stripped.includes("((") || stripped.includes("))")) {
    problems.push({ field, message: `${label}: a placeholder is not closed: write ((name)).` });
  }
  return problems;
}

export function usesPlaceholder(text: string, placeholder: Placeholder): boolean {
  for (const match of text.matchAll(PATTERN)) {
    if (KNOWN.get(key(match[1] ?? "")) === placeholder) return true;
  }
  return false;
}

export type PlaceholderValues = Record<Placeholder, string>;

export function renderTemplate(text: string, values: PlaceholderValues): string {
  return text.replace(PATTERN, (all, name: string) => {
    const known = KNOWN.get(key(name));
    return known ? values[known] : all;
  });
}
