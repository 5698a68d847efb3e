import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit } from "../audit/audit.server.ts";
import {
  accountDelayMs,
  accountKey,
  ADDRESS_LIMIT,
  addressKey,
  countAccountAttempt,
  countLimitedAttempt,
  forgiveAfterSuccess,
  PAIR_LIMIT,
  pairKey,
  type ThrottleScope,
} from "./login-throttle.server.ts";
import { decoyPasswordHash, verifyPassword } from "./password.server.ts";
import { assessPassword } from "./password-strength.server.ts";
import { createSession, endSession, hashSessionToken } from "./session.server.ts";
import { secondStepFor } from "./two-step/gate.server.ts";
import { startPendingSignIn } from "./two-step/pending.server.ts";

/**
 * Sign-in, throttled without a hard account lock (login-throttle.server.ts, ADR 0016). Errors
 * are generic: the caller learns "wrong e-mail or password" or "too many attempts", never which
 * part was wrong or whether the account exists.
 *
 * Every attempt is counted atomically *before* the password is checked, so a burst of parallel
 * guesses cannot all slip past the limits while the (slow, parallel) argon2 checks run. A success
 * clears the account's counters and gives its attempt back to the address counter.
 */
export { ADDRESS_LIMIT, PAIR_LIMIT, ACCOUNT_SLOWDOWN } from "./login-throttle.server.ts";

export type LoginResult = (
  | { ok: true; userId: string; setCookie: string; passwordChangeRequired: boolean }
  | { ok: false; reason: "invalid" | "throttled" }
  /** The password was right; a second step is owed (ADR 0017). `setCookie` holds that state. */
  | { ok: false; reason: "two-step"; setCookie: string }
) & {
  /** How long this attempt was held back by the account's slow-down (0 when not slowed). */
  delayedMs: number;
};

/** Holds an attempt back; replaceable so tests can record the wait instead of sleeping. */
let wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export function setLoginWait(replacement: (ms: number) => Promise<void>): void {
  wait = replacement;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function attemptLogin(input: {
  email: string;
  password: string;
  clientAddress: string | null;
  userAgent: string | null;
  /** Session token from a cookie the browser already had: ended, never reused (fixation). */
  previousSessionToken?: string | null;
  /** The request's cookies, for a remembered two-step device (ADR 0017). */
  cookieHeader?: string | null;
}): Promise<LoginResult> {
  const db = await prisma();
  const email = normaliseEmail(input.email);
  const address = input.clientAddress;
  const refusedBy = await throttleScopeRefusing(email, address);
  if (refusedBy) {
    await db.$transaction((tx) =>
      recordAudit(tx, {
        actor: { id: null, label: "anonymous" },
        action: refusedBy.startedBlock ? "auth.throttle-started" : "auth.login-throttled",
        entityType: "user",
        clientAddress: address,
        details: { scope: refusedBy.scope },
      }),
    );
    return { ok: false, reason: "throttled", delayedMs: 0 };
  }
  // The account's slow-down: never a refusal, so whoever knows the password gets in.
  const delayedMs = accountDelayMs(await countAccountAttempt(accountKey(email)));
  if (delayedMs > 0) await wait(delayedMs);

  const user = await db.user.findUnique({
    where: { email },
    select: {
      id: true,
      passwordHash: true,
      disabledAt: true,
      approvalPendingSince: true,
      displayName: true,
    },
  });
  const passwordMatches = await verifyPassword(
    user?.passwordHash ?? (await decoyPasswordHash()),
    input.password,
  );
  // An account awaiting approval (created by a first trust sign-in) does not sign in either way.
  const refusedAccount = user?.disabledAt
    ? "disabled"
    : user?.approvalPendingSince
      ? "pending-approval"
      : null;
  if (!user || !user.passwordHash || refusedAccount || !passwordMatches) {
    await db.$transaction(async (tx) => {
      await recordAudit(tx, {
        actor: { id: null, label: "anonymous" },
        action: "auth.login-failed",
        entityType: "user",
        entityId: user?.id ?? null,
        clientAddress: input.clientAddress,
        details: {
          reason: !user ? "unknown-account" : (refusedAccount ?? "bad-password"),
          delayedMs,
        },
      });
    });
    return { ok: false, reason: "invalid", delayedMs };
  }
  // The one moment the plain password is known: a weak one (set before the strength check
  // existed) must be changed before anything else (guard.server.ts sends the user there).
  const weak = !assessPassword(input.password, [email, user.displayName]).ok;

  // Two-step sign-in (ADR 0017): while a second step is owed, no session starts.
  if ((await secondStepFor(user.id, input.cookieHeader ?? null)) !== "none") {
    // Remembered now: the plain password is not known again when the second step passes.
    if (weak) {
      await db.user.update({ where: { id: user.id }, data: { passwordChangeRequired: true } });
    }
    const pending = await startPendingSignIn(user.id, input.clientAddress);
    return { ok: false, reason: "two-step", setCookie: pending, delayedMs };
  }

  const setCookie = await db.$transaction(async (tx) => {
    if (input.previousSessionToken) {
      await endSession(hashSessionToken(input.previousSessionToken), "replaced", tx);
    }
    await forgiveAfterSuccess(tx, email, address);
    await tx.user.update({
      where: { id: user.id },
      data: { lastLoginAt: now(), ...(weak ? { passwordChangeRequired: true } : {}) },
    });
    const session = await createSession(
      user.id,
      { clientAddress: input.clientAddress, userAgent: input.userAgent },
      tx,
    );
    await recordAudit(tx, {
      actor: { id: user.id, label: email },
      action: "auth.login",
      entityType: "user",
      entityId: user.id,
      clientAddress: input.clientAddress,
      ...(weak ? { details: { weakPassword: true } } : {}),
    });
    return session.setCookie;
  });
  return { ok: true, userId: user.id, setCookie, passwordChangeRequired: weak, delayedMs };
}

/** Checks the address and (account, address) limits; the first to refuse, if any. */
async function throttleScopeRefusing(
  email: string,
  address: string | null,
): Promise<{ scope: ThrottleScope; startedBlock: boolean } | null> {
  if (address) {
    const byAddress = await countLimitedAttempt(addressKey(address), ADDRESS_LIMIT);
    if (!byAddress.admitted) return { scope: "address", startedBlock: byAddress.startedBlock };
  }
  const byPair = await countLimitedAttempt(pairKey(address, email), PAIR_LIMIT);
  if (!byPair.admitted) return { scope: "account-address", startedBlock: byPair.startedBlock };
  return null;
}
