/**
 * Recipient checks as Notify makes them (notifications-utils `validate_uk_phone_number` and its
 * email check), and the outcomes Notify's documented test recipients simulate. The sandbox's
 * service has no international text-message permission, so only UK mobiles are accepted.
 */

export type FinalStatus =
  "delivered" | "permanent-failure" | "temporary-failure" | "technical-failure";

export type RecipientCheck = { ok: true; normalised: string } | { ok: false; message: string };

/** `+44 7700 900123`, `07700-900123`, `(07700) 900123` → `447700900123`. */
export function checkUkMobile(raw: string): RecipientCheck {
  const stripped = raw.replace(/[\s()\-+\u00a0\u200b]/g, "");
  if (!/^\d+$/.test(stripped)) return { ok: false, message: "Must not contain letters or symbols" };
  let national = stripped;
  if (national.startsWith("0044")) national = national.slice(4);
  else if (national.startsWith("44")) national = national.slice(2);
  national = national.replace(/^0+/, "");
  if (!national.startsWith("7")) return { ok: false, message: "Not a UK mobile number" };
  if (national.length > 10) return { ok: false, message: "Too many digits" };
  if (national.length < 10) return { ok: false, message: "Not enough digits" };
  return { ok: true, normalised: `44${national}` };
}

const EMAIL_LOCAL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+$/;
const HOST_LABEL = /^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$/i;

export function checkEmail(raw: string): RecipientCheck {
  const email = raw.trim();
  const at = email.lastIndexOf("@");
  const invalid = { ok: false as const, message: "Not a valid email address" };
  if (at < 1 || email.length > 320 || /\s/.test(email)) return invalid;
  const local = email.slice(0, at);
  const host = email.slice(at + 1).toLowerCase();
  if (!EMAIL_LOCAL.test(local) || local.includes("..")) return invalid;
  const labels = host.split(".");
  if (labels.length < 2 || labels.some((l) => l.length === 0 || l.length > 63)) return invalid;
  if (!labels.every((l) => HOST_LABEL.test(l))) return invalid;
  const tld = labels[labels.length - 1] ?? "";
  if (!/^([a-z]{2,63}|xn--[a-z0-9]+)$/i.test(tld)) return invalid;
  return { ok: true, normalised: `${local}@${host}`.toLowerCase() };
}

/**
 * Notify's documented test recipients: the smoke-test numbers and addresses always deliver; these
 * simulate failures. Keys are normalised as above.
 */
export const TEST_RECIPIENT_OUTCOMES: Readonly<Record<string, FinalStatus>> = {
  "447700900000": "delivered",
  "447700900111": "delivered",
  "447700900222": "delivered",
  "447700900002": "permanent-failure",
  "447700900003": "temporary-failure",
  "simulate-delivered@notifications.service.gov.uk": "delivered",
  "simulate-delivered-2@notifications.service.gov.uk": "delivered",
  "simulate-delivered-3@notifications.service.gov.uk": "delivered",
  "perm-fail@simulator.notify": "permanent-failure",
  "temp-fail@simulator.notify": "temporary-failure",
};

/** Normalises a recipient given to a control (phone or e-mail), or undefined when it is neither. */
export function normaliseRecipient(raw: string): string | undefined {
  if (raw.includes("@")) {
    const email = checkEmail(raw);
    return email.ok ? email.normalised : undefined;
  }
  const phone = checkUkMobile(raw);
  return phone.ok ? phone.normalised : undefined;
}
