import { csvChunks } from "~/platform/csv-download.server.ts";
import { deliveryContext } from "../recipient-content.server.ts";
import { renderLetter } from "../templates/channel-templates.ts";
import { batchRecipients } from "./letter-rows.server.ts";

/**
 * The mail-merge file for a hybrid-mail or print house: one row per letter of the batch with the
 * address, the codes, the link, the expiry and the rendered wording. Formula-safe (H7) through
 * csvChunks; no date of birth column exists.
 */
export const MERGE_HEADER = [
  "reference",
  "name",
  "address_line_1",
  "address_line_2",
  "address_line_3",
  "address_line_4",
  "postcode",
  "invitation_code",
  "access_code",
  "join_link",
  "expiry_date",
  "heading",
  "letter_text",
];

export async function mergeCsv(campaignId: string, batchId: string) {
  const context = await deliveryContext(campaignId);
  const rows = batchRecipients(campaignId, "LETTER", batchId, context);
  return csvChunks(MERGE_HEADER, rows, ({ row }) => {
    const letter = renderLetter(context.templates.LETTER, row.values);
    const address = [...row.address, "", "", "", ""].slice(0, 4);
    return [
      row.dispatchId,
      row.values.name,
      ...address,
      row.postcode,
      row.values["invitation code"],
      row.values["access code"],
      row.values["join link"],
      row.values["expiry date"],
      letter.heading,
      letter.body,
    ];
  });
}
