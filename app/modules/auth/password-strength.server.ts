import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as en from "@zxcvbn-ts/language-en";
import { MIN_PASSWORD_LENGTH } from "./password-policy.ts";

/**
 * Password strength by estimated guessability (zxcvbn-ts with its common-password, names and
 * English word lists, all bundled — nothing is fetched), never by composition rules (NCSC and
 * NIST SP 800-63B: "one capital, one digit" makes passwords harder to remember, not to guess).
 * Server-only: the dictionaries are megabytes and must not reach the browser bundle.
 */

// zxcvbn scores 0–4; 3 is "safely unguessable" for an online attacker and strong against an
// offline one against argon2 — the bar for an account that reaches patient data.
export const MIN_STRENGTH_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  return estimator;
}

export type PasswordAssessment =
  | { ok: true }
  | {
      ok: false;
      /** Why, in plain words (e.g. "This is similar to a commonly used password."). */
      reason: string;
      /** What to do instead, in plain words. */
      suggestions: string[];
    };

/**
 * Checks a new password. `personal` holds what an attacker would try first for this person:
 * their e-mail address (and its parts) and name.
 */
export function assessPassword(password: string, personal: string[] = []): PasswordAssessment {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return {
      ok: false,
      reason: `It is shorter than ${MIN_PASSWORD_LENGTH} characters.`,
      suggestions: ["Use a few unrelated words together: a longer password is easier to remember."],
    };
  }
  const inputs = personal
    .flatMap((value) => [value, ...value.split(/[@.\s_-]+/)])
    .map((value) => value.trim())
    .filter((value) => value.length >= 3);
  const result = zxcvbn().check(password.slice(0, 256), inputs);
  if (result.score >= MIN_STRENGTH_SCORE) return { ok: true };
  const usesPersonal = result.sequence.some(
    (match) => match.pattern === "dictionary" && match.dictionaryName === "userInputs",
  );
  const reason = usesPersonal
    ? "It contains your name or e-mail address, which is among the first things an attacker tries."
    : (result.feedback.warning ??
      "It could be guessed too easily: it follows a pattern that password-guessing tools try early.");
  const suggestions = result.feedback.suggestions.length
    ? result.feedback.suggestions
    : ["Add another word or two that are not related to each other or to you."];
  return { ok: false, reason, suggestions };
}

/** The assessment as one sentence for a form field's error message. */
export function passwordProblem(password: string, personal: string[] = []): string | null {
  const assessment = assessPassword(password, personal);
  if (assessment.ok) return null;
  return `This password is too easy to guess. ${assessment.reason} ${assessment.suggestions.join(" ")}`;
}
