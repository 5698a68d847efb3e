import { randomUUID } from "node:crypto";
import { seal } from "~/modules/pkb/secrets.server.ts";
import { encryptSecret, parseKeyRing } from "~/platform/crypto.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { getEnv } from "~/platform/env.server.ts";
import {
  DEFAULT_NOTIFY_API_KEY,
  DEFAULT_NOTIFY_SERVICE_ID,
  DEFAULT_NOTIFY_TEMPLATES,
} from "../../../../sandbox/src/notify/config.ts";

/**
 * Test and benchmark helpers: a campaign whose codes are already generated (rows written as the
 * token step writes them, sealed with the row id), and the installation's Notify settings pointed
 * at a sandbox with its pass-through templates.
 */
export interface SeedRecipient {
  givenName?: string;
  familyName?: string;
  mobile?: string | null;
  email?: string | null;
  address?: string[];
  postcode?: string | null;
  dateOfBirth?: Date;
}

export async function seedGeneratedCampaign(
  pkbConnectionId: string,
  recipients: SeedRecipient[],
  options: { expiresAt?: Date; name?: string } = {},
): Promise<{
  campaignId: string;
  recipientIds: string[];
  codes: Array<{ t1: string; t2: string }>;
}> {
  const db = await prisma();
  const ring = parseKeyRing(getEnv().ENCRYPTION_KEYS);
  const campaign = await db.campaign.create({
    data: {
      name: options.name ?? "Delivery test campaign",
      pkbConnectionId,
      channel: "SMS",
      identifierKind: "NHS",
      state: "GENERATED",
    },
  });
  const expiresAt = options.expiresAt ?? new Date(Date.now() + 30 * 86_400_000);
  const ids: string[] = [];
  const codes: Array<{ t1: string; t2: string }> = [];
  const rows = recipients.map((r, i) => {
    const id = randomUUID();
    const t1 = `INV${String(i).padStart(7, "0")}`;
    const t2 = `ACC${String(i).padStart(5, "0")}`;
    ids.push(id);
    codes.push({ t1, t2 });
    return {
      id,
      campaignId: campaign.id,
      nationalId: String(9_000_000_000 + i),
      givenName: r.givenName ?? `Given${i}`,
      familyName: r.familyName ?? `Family${i}`,
      dateOfBirth: r.dateOfBirth ?? new Date("1961-07-14"),
      mobile: r.mobile === undefined ? `+4477009${String(10_000 + i)}` : r.mobile,
      email: r.email === undefined ? `patient${i}@example.com` : r.email,
      addressLine1: r.address === undefined ? `${i + 1} High Street` : (r.address[0] ?? null),
      addressLine2: r.address === undefined ? "Exampleton" : (r.address[1] ?? null),
      addressLine3: r.address?.[2] ?? null,
      addressLine4: r.address?.[3] ?? null,
      postcode: r.postcode === undefined ? "EX1 2AB" : r.postcode,
      sourceRow: i + 2,
      state: "TOKEN_ISSUED" as const,
      tokenSealed: encryptSecret(ring, t2, id),
      codeSealed: encryptSecret(ring, t1, id),
      tokenExpiresAt: expiresAt,
      tokensIssued: 1,
    };
  });
  for (let i = 0; i < rows.length; i += 1000) {
    await db.recipient.createMany({ data: rows.slice(i, i + 1000) });
  }
  return { campaignId: campaign.id, recipientIds: ids, codes };
}

export const SANDBOX_CALLBACK_TOKEN = "delivery-callback-token-0123456789";

/** The Notify settings row for a sandbox (its default key and pass-through templates). */
export async function configureSandboxNotify(
  baseUrl: string,
  apiKey = DEFAULT_NOTIFY_API_KEY,
): Promise<void> {
  const db = await prisma();
  const id = randomUUID();
  await db.notifyConnection.deleteMany({});
  await db.notifyConnection.create({
    data: {
      id,
      installation: "default",
      baseUrl,
      apiKey: seal(apiKey, id),
      apiKeyName: "pkb_desk_sandbox",
      serviceId: DEFAULT_NOTIFY_SERVICE_ID,
      smsTemplateId: DEFAULT_NOTIFY_TEMPLATES[0]!.id,
      emailTemplateId: DEFAULT_NOTIFY_TEMPLATES[1]!.id,
      callbackBearerToken: seal(SANDBOX_CALLBACK_TOKEN, id),
    },
  });
}
