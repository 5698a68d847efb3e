import type { Prisma } from "~/generated/prisma/client.ts";
import { prisma } from "~/platform/db.server.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import {
  DEFAULT_TEMPLATES,
  templateProblems,
  type ChannelTemplate,
  type TemplateChannel,
  type TemplateForm,
} from "./channel-templates.ts";

/** A campaign's templates: its own where saved, the defaults otherwise. */
export async function loadTemplates(
  campaignId: string,
  db: Prisma.TransactionClient | Awaited<ReturnType<typeof prisma>> | null = null,
): Promise<Record<TemplateChannel, ChannelTemplate & { custom: boolean }>> {
  const client = db ?? (await prisma());
  const rows = await client.invitationTemplate.findMany({ where: { campaignId } });
  const out = {} as Record<TemplateChannel, ChannelTemplate & { custom: boolean }>;
  for (const channel of ["LETTER", "SMS", "EMAIL"] as const) {
    const row = rows.find((r) => r.channel === channel);
    out[channel] = row
      ? { subject: row.subject, body: row.body, linkMessage: row.linkMessage, custom: true }
      : { ...DEFAULT_TEMPLATES[channel], custom: false };
  }
  return out;
}

export class TemplateRejected extends Error {
  override name = "TemplateRejected";
  constructor(readonly problems: Array<{ field: string; message: string }>) {
    super(problems.map((p) => p.message).join(" "));
  }
}

/** Saves one channel's template after checking it; audited with the channel, never the text. */
export async function saveTemplate(
  campaignId: string,
  form: TemplateForm,
  context: { actor: AuditActor; clientAddress: string | null },
): Promise<void> {
  const template: ChannelTemplate = {
    subject: form.subject?.trim() || null,
    body: form.body,
    linkMessage: form.channel === "SMS" ? form.linkMessage?.trim() || "" : null,
  };
  const problems = templateProblems(form.channel, template);
  if (problems.length > 0) throw new TemplateRejected(problems);
  const db = await prisma();
  await db.$transaction(async (tx) => {
    await tx.invitationTemplate.upsert({
      where: { campaignId_channel: { campaignId, channel: form.channel } },
      create: { campaignId, channel: form.channel, ...template, updatedById: context.actor.id },
      update: { ...template, updatedById: context.actor.id },
    });
    await recordAudit(tx, {
      actor: context.actor,
      clientAddress: context.clientAddress,
      action: "campaign.template-saved",
      entityType: "Campaign",
      entityId: campaignId,
      details: { channel: form.channel },
    });
  });
}
