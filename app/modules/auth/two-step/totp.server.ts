import { randomBytes } from "node:crypto";
import { generateSecret, generateURI, verify } from "otplib";
import QRCode from "qrcode";
import type { Prisma } from "~/generated/prisma/client.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit, type AuditActor } from "../../audit/audit.server.ts";
import { seal, unseal } from "../../pkb/secrets.server.ts";
import { hashPassword, verifyPassword } from "../password.server.ts";
import { endUserSessions } from "../session.server.ts";

/**
 * Authenticator-app codes (RFC 6238: SHA-1, 6 digits, 30-second steps, what every authenticator
 * app does) and recovery codes. A code is accepted within one step either side of now (clock
 * drift between a phone and the server) and only once: the accepted step is stored, and a later
 * code must be for a later step, checked and stored in one conditional update so two parallel
 * submissions of one code cannot both pass.
 */
export const TOTP_PERIOD_SECONDS = 30;
const WINDOW_SECONDS = TOTP_PERIOD_SECONDS; // ±1 step
export const RECOVERY_CODE_COUNT = 10;
const ISSUER = "PKB Desk";

export interface TwoStepContext {
  actor: AuditActor;
  clientAddress: string | null;
}

export async function twoStepStatus(userId: string) {
  const db = await prisma();
  const [credential, recoveryLeft] = await Promise.all([
    db.twoStepCredential.findUnique({
      where: { userId },
      select: { confirmedAt: true },
    }),
    db.twoStepRecoveryCode.count({ where: { userId, usedAt: null } }),
  ]);
  return { enrolled: credential?.confirmedAt != null, recoveryLeft };
}

export async function isEnrolled(userId: string, tx?: Prisma.TransactionClient): Promise<boolean> {
  const db = tx ?? (await prisma());
  const credential = await db.twoStepCredential.findUnique({
    where: { userId },
    select: { confirmedAt: true },
  });
  return credential?.confirmedAt != null;
}

/**
 * Starts (or restarts) enrolment: a fresh secret, not yet trusted. Refused for an enrolled user
 * (their working authenticator must not be replaced by whoever holds their session for a moment):
 * an admin's reset comes first.
 */
export async function beginEnrolment(userId: string): Promise<void> {
  const db = await prisma();
  if (await isEnrolled(userId)) throw new TwoStepError("already-enrolled");
  // A reload of the page keeps the key already scanned into the app.
  const started = await db.twoStepCredential.findUnique({ where: { userId } });
  if (started) return;
  const secret = generateSecret();
  await db.twoStepCredential.create({ data: { userId, secret: seal(secret, userId) } });
}

/** What the enrolment page shows: the key to type, and the same as a QR code. */
export async function enrolmentView(userId: string, email: string) {
  const db = await prisma();
  const credential = await db.twoStepCredential.findUnique({ where: { userId } });
  if (!credential || credential.confirmedAt) return null;
  const secret = unseal(credential.secret, userId);
  const uri = generateURI({ issuer: ISSUER, label: email, secret });
  return {
    // Grouped in fours, as authenticator apps accept it with or without spaces.
    manualKey: secret.replace(/(.{4})/g, "$1 ").trim(),
    // A PNG data URL: the page's CSP allows `data:` images and no inline markup is needed.
    qrDataUrl: await QRCode.toDataURL(uri, { margin: 2, width: 220, errorCorrectionLevel: "M" }),
  };
}

export class TwoStepError extends Error {
  override name = "TwoStepError";
  constructor(readonly reason: "already-enrolled" | "not-started" | "wrong-code") {
    super(reason);
  }
}

/**
 * Confirms enrolment with a first code; returns the ten recovery codes (shown once, stored as
 * argon2id hashes). Audited.
 */
export async function confirmEnrolment(
  userId: string,
  code: string,
  context: TwoStepContext,
): Promise<string[]> {
  const db = await prisma();
  const credential = await db.twoStepCredential.findUnique({ where: { userId } });
  if (!credential || credential.confirmedAt) throw new TwoStepError("not-started");
  const step = await matchingStep(unseal(credential.secret, userId), code, null);
  if (step === null) throw new TwoStepError("wrong-code");
  const codes = newRecoveryCodes();
  const hashes = await Promise.all(codes.map((plain) => hashPassword(normaliseRecovery(plain))));
  const confirmed = await db.$transaction(async (tx) => {
    const updated = await tx.twoStepCredential.updateMany({
      where: { userId, confirmedAt: null },
      data: { confirmedAt: now(), lastUsedStep: step },
    });
    if (updated.count !== 1) return false;
    await tx.twoStepRecoveryCode.deleteMany({ where: { userId } });
    await tx.twoStepRecoveryCode.createMany({
      data: hashes.map((codeHash) => ({ userId, codeHash })),
    });
    await recordAudit(tx, {
      actor: context.actor,
      action: "two-step.enrolled",
      entityType: "user",
      entityId: userId,
      clientAddress: context.clientAddress,
    });
    return true;
  });
  if (!confirmed) throw new TwoStepError("not-started");
  return codes;
}

/**
 * Checks a sign-in code and, when it is right, spends its time step. False for a wrong code, a
 * code outside ±1 step, a code for a step already used, or a user not enrolled.
 */
export async function acceptTotpCode(userId: string, code: string): Promise<boolean> {
  const db = await prisma();
  const credential = await db.twoStepCredential.findUnique({ where: { userId } });
  if (!credential?.confirmedAt) return false;
  const step = await matchingStep(unseal(credential.secret, userId), code, credential.lastUsedStep);
  if (step === null) return false;
  // Spend the step only if no one spent it (or a later one) since we read the row.
  const spent = await db.twoStepCredential.updateMany({
    where: {
      userId,
      confirmedAt: { not: null },
      OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: step } }],
    },
    data: { lastUsedStep: step },
  });
  return spent.count === 1;
}

async function matchingStep(
  secret: string,
  code: string,
  afterStep: number | null,
): Promise<number | null> {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const result = await verify({
    secret,
    token,
    epoch: Math.floor(now().getTime() / 1000),
    epochTolerance: WINDOW_SECONDS,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
  });
  // The functional API's result type covers HOTP too; a TOTP match carries its time step.
  return result.valid && "timeStep" in result ? result.timeStep : null;
}

// Crockford-style alphabet without look-alikes (0/O, 1/I/L): read off paper and typed back.
const RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((byte) => RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length]);
    return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
  });
}

export function normaliseRecovery(code: string): string {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, "");
}

/** Spends one recovery code (single use, even under parallel submissions). Audited on use. */
export async function acceptRecoveryCode(
  userId: string,
  code: string,
  context: TwoStepContext,
): Promise<boolean> {
  const plain = normaliseRecovery(code);
  if (plain.length !== 10) return false;
  const db = await prisma();
  const unused = await db.twoStepRecoveryCode.findMany({
    where: { userId, usedAt: null },
    select: { id: true, codeHash: true },
  });
  const checks = await Promise.all(
    unused.map(async (row) => ((await verifyPassword(row.codeHash, plain)) ? row.id : null)),
  );
  const id = checks.find((match) => match !== null);
  if (!id) return false;
  return db.$transaction(async (tx) => {
    const spent = await tx.twoStepRecoveryCode.updateMany({
      where: { id, usedAt: null },
      data: { usedAt: now() },
    });
    if (spent.count !== 1) return false;
    const left = await tx.twoStepRecoveryCode.count({ where: { userId, usedAt: null } });
    await recordAudit(tx, {
      actor: context.actor,
      action: "two-step.recovery-code-used",
      entityType: "user",
      entityId: userId,
      clientAddress: context.clientAddress,
      details: { left },
    });
    return true;
  });
}

/**
 * An administrator's reset: the authenticator, recovery codes and remembered devices go, and the
 * user's sessions end; at next sign-in they enrol again (if their role requires it). Audited.
 */
export async function resetTwoStep(userId: string, context: TwoStepContext): Promise<void> {
  const db = await prisma();
  await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (!user) throw new Response("Not Found", { status: 404 });
    const removed = await tx.twoStepCredential.deleteMany({ where: { userId } });
    await tx.twoStepRecoveryCode.deleteMany({ where: { userId } });
    await tx.twoStepRememberedDevice.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: now() },
    });
    await tx.twoStepPendingSignIn.deleteMany({ where: { userId } });
    const sessionsEnded = await endUserSessions(userId, "revoked", tx);
    await recordAudit(tx, {
      actor: context.actor,
      action: "two-step.reset",
      entityType: "user",
      entityId: userId,
      clientAddress: context.clientAddress,
      details: { hadAuthenticator: removed.count > 0, sessionsEnded },
    });
  });
}
