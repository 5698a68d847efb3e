import { csvChunks } from "~/platform/csv-download.server.ts";
import { batchRecipients } from "../letter/letter-rows.server.ts";
import { deliveryContext } from "../recipient-content.server.ts";
import { renderEmail, renderSms } from "../templates/channel-templates.ts";

/**
 * The file-export provider: instead of GOV.UK Notify, the batch's texts or e-mails as a CSV for
 * another sender (a trust's own SMS gateway or mail system). Text messages stay two messages —
 * two columns — so the sender can keep the codes and the link apart. Formula-safe (H7).
 */
export async function messageExportCsv(
  campaignId: string,
  channel: "SMS" | "EMAIL",
  batchId: string,
) {
  const context = await deliveryContext(campaignId);
  const rows = batchRecipients(campaignId, channel, batchId, context);
  if (channel === "SMS") {
    return csvChunks(
      ["reference", "phone_number", "message_1_codes", "message_2_link"],
      rows,
      ({ row }) => {
        const sms = renderSms(context.templates.SMS, row.values);
        return [row.dispatchId, row.mobile, sms.messages[0], sms.messages[1]];
      },
    );
  }
  return csvChunks(["reference", "email_address", "subject", "body"], rows, ({ row }) => {
    const email = renderEmail(context.templates.EMAIL, row.values);
    return [row.dispatchId, row.email, email.subject, email.body];
  });
}
