import { createHash, randomBytes, randomUUID } from "node:crypto";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { buildCookie } from "../cookies.server.ts";

/**
 * "Remember this device for 12 hours": after a passed second step, the browser may skip the next
 * ones for at most 12 hours. The signed cookie carries a random token; the server keeps its
 * SHA-256 with the user it belongs to and an expiry, so a remembered device is bound to one user,
 * can be revoked (the account page, an admin's reset), and never outlives 12 hours whatever the
 * cookie claims.
 */
export const REMEMBER_DEVICE_MS = 12 * 60 * 60 * 1000;

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

function deviceCookie() {
  return buildCookie("pkbdesk_device", { maxAgeSeconds: REMEMBER_DEVICE_MS / 1000 });
}

export async function rememberDevice(userId: string, userAgent: string | null): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  const created = now();
  const db = await prisma();
  await db.twoStepRememberedDevice.create({
    data: {
      id: randomUUID(),
      userId,
      tokenHash: hash(token),
      userAgent: userAgent?.slice(0, 300) ?? null,
      createdAt: created,
      expiresAt: new Date(created.getTime() + REMEMBER_DEVICE_MS),
    },
  });
  return deviceCookie().serialize(token);
}

/** True when this browser's cookie names a live remembered device of this very user. */
export async function isDeviceRemembered(
  cookieHeader: string | null,
  userId: string,
): Promise<boolean> {
  const token: unknown = await deviceCookie().parse(cookieHeader);
  if (typeof token !== "string" || token.length === 0) return false;
  const db = await prisma();
  const row = await db.twoStepRememberedDevice.findUnique({ where: { tokenHash: hash(token) } });
  return !!row && row.userId === userId && !row.revokedAt && row.expiresAt > now();
}

export async function rememberedDevices(userId: string) {
  const db = await prisma();
  return db.twoStepRememberedDevice.findMany({
    where: { userId, revokedAt: null, expiresAt: { gt: now() } },
    orderBy: { createdAt: "desc" },
    select: { id: true, createdAt: true, expiresAt: true, userAgent: true },
  });
}

export async function forgetDevices(userId: string): Promise<number> {
  const db = await prisma();
  const result = await db.twoStepRememberedDevice.updateMany({
    where: { userId, revokedAt: null, expiresAt: { gt: now() } },
    data: { revokedAt: now() },
  });
  return result.count;
}
