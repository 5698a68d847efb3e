import { prisma } from "~/platform/db.server.ts";
import { isTwoStepRequired } from "./policy.server.ts";
import { isDeviceRemembered } from "./remembered-device.server.ts";
import { isEnrolled } from "./totp.server.ts";

/**
 * What a password sign-in still owes before a session may start: nothing, a code from the
 * enrolled authenticator (unless this browser is a remembered device of this user), or an
 * enrolment because the user's role requires two-step sign-in and they have none yet.
 */
export type SecondStep = "none" | "code" | "enrol";

export async function secondStepFor(
  userId: string,
  cookieHeader: string | null,
): Promise<SecondStep> {
  if (await isEnrolled(userId)) {
    return (await isDeviceRemembered(cookieHeader, userId)) ? "none" : "code";
  }
  const db = await prisma();
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { role: true } });
  return (await isTwoStepRequired(user.role)) ? "enrol" : "none";
}
