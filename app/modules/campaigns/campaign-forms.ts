import { z } from "zod";
import { IMPORT_FIELDS, type ColumnMapping, type ImportField } from "./import/fields.ts";

const column = z
  .string()
  .max(200)
  .optional()
  .transform((value) => value || undefined);

/** The mapping form: one select per field, named after the field; "" = not in this list. */
const mappingFields = Object.fromEntries(IMPORT_FIELDS.map((field) => [field, column])) as Record<
  ImportField,
  typeof column
>;

export function mappingFrom(
  fields: Partial<Record<ImportField, string | undefined>>,
): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const field of IMPORT_FIELDS) if (fields[field]) mapping[field] = fields[field];
  return mapping;
}

export const CHANNEL_LABELS = {
  LETTER: "Letter",
  SMS: "Text message (SMS)",
  EMAIL: "E-mail",
  KIOSK: "Kiosk",
} as const;

export const IDENTIFIER_KIND_LABELS = {
  NHS: "NHS number (England and Wales)",
  CHI: "CHI number (Scotland)",
  HC: "Health and Care number (Northern Ireland)",
} as const;

export const CampaignSchema = z.object({
  name: z.string().trim().min(1, "Enter a campaign name").max(120, "Use at most 120 characters"),
  pkbConnectionId: z.uuid("Choose the PKB organisation"),
  channel: z.enum(["LETTER", "SMS", "EMAIL", "KIOSK"], "Choose how invitations will be sent"),
  identifierKind: z.enum(["NHS", "CHI", "HC"], "Choose which number the lists carry"),
  teamCode: z
    .string()
    .trim()
    .max(40, "Use at most 40 characters")
    .regex(/^[A-Za-z0-9_-]*$/, "Use letters, digits, - and _ only")
    .optional()
    .transform((value) => value || null),
});

export type CampaignInput = z.infer<typeof CampaignSchema>;

/** The campaign page's forms, told apart by `intent`. */
export const CampaignPageSchema = z.discriminatedUnion("intent", [
  z
    .object({
      intent: z.literal("map-columns"),
      importId: z.uuid(),
      presetName: z.string().trim().max(60, "Use at most 60 characters").optional(),
      ...mappingFields,
    })
    .refine((fields) => Boolean(fields.identifier), {
      message: "Choose the column that holds the patient identifier",
      path: ["identifier"],
    }),
  z.object({ intent: z.literal("discard-upload"), importId: z.uuid() }),
  z.object({ intent: z.literal("start-check") }),
  z.object({ intent: z.literal("start-generating") }),
  z.object({ intent: z.literal("retry-failed") }),
  z.object({ intent: z.literal("pause") }),
  z.object({ intent: z.literal("resume") }),
  z.object({ intent: z.literal("cancel") }),
]);
