import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { formErrorsFromZod } from "~/components/ui/form-errors.ts";
import { notFound, requireMutation } from "~/modules/auth/guard.server.ts";
import type { RouteAccess } from "~/modules/auth/permissions.ts";
import { CampaignTransitionError } from "~/modules/campaigns/lifecycle.server.ts";
import {
  reinviteAndGenerate,
  saveHybridMailSetting,
  sendHybridMailNow,
  trackNow,
} from "~/modules/campaigns/tracking/actions.server.ts";
import { TrackingFormSchema } from "~/modules/campaigns/tracking/tracking-forms.ts";
import { prisma } from "~/platform/db.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = { action: "manage:campaign" } satisfies RouteAccess;

/** The campaign page's Tracking section posts here; every answer goes back to the campaign page. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const id = z.uuid().safeParse(params.campaignId);
  if (!id.success) throw notFound();
  const db = await prisma();
  if (!(await db.campaign.findUnique({ where: { id: id.data }, select: { id: true } }))) {
    throw notFound();
  }
  const back = `/campaigns/${id.data}#tracking`;
  const parsed = TrackingFormSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return redirectWithToast(back, {
      kind: "error",
      message: formErrorsFromZod(parsed.error)[0]?.message ?? "That did not work; try again.",
    });
  }
  const context = { actor, clientAddress };
  try {
    switch (parsed.data.intent) {
      case "track-now":
        await trackNow(id.data);
        return redirectWithToast(back, {
          kind: "success",
          message: "Checking registrations with PKB; this page updates when it is done.",
        });
      case "reinvite-expired": {
        const result = await reinviteAndGenerate(id.data, parsed.data.expected, context);
        return redirectWithToast(back, {
          kind: "success",
          message: `Getting new invitation codes for ${result.recipients.toLocaleString("en-GB")} patients.`,
        });
      }
      case "hybrid-mail-settings":
        await saveHybridMailSetting(id.data, parsed.data.postAfterHours, context);
        return redirectWithToast(back, {
          kind: "success",
          message: `Hybrid mail on: letters unread after ${parsed.data.postAfterHours} hours are posted.`,
        });
      case "send-hybrid-mail":
        await sendHybridMailNow(id.data, context);
        return redirectWithToast(back, {
          kind: "success",
          message: "Sending the letters to PKB.",
        });
    }
  } catch (error) {
    if (error instanceof CampaignTransitionError) {
      return redirectWithToast(back, { kind: "error", message: error.message });
    }
    throw error;
  }
}
