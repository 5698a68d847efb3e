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

/** PKB calls a campaign keeps in flight (its batch drivers); PKB's fair use asks for few. */
export const CONCURRENCY_RANGE = { min: 1, max: 8, default: 4 } as const;
const CONCURRENCY_MESSAGE = `Choose between ${CONCURRENCY_RANGE.min} and ${CONCURRENCY_RANGE.max} calls at once`;
const concurrency = z.preprocess(
  (value) => (value === "" || value == null ? undefined : value),
  z.coerce
    .number(CONCURRENCY_MESSAGE)
    .int(CONCURRENCY_MESSAGE)
    .min(CONCURRENCY_RANGE.min, CONCURRENCY_MESSAGE)
    .max(CONCURRENCY_RANGE.max, CONCURRENCY_MESSAGE)
    .default(CONCURRENCY_RANGE.default),
);

/** The choices the forms offer, as SelectField options. */
export const CONCURRENCY_OPTIONS = Array.from(
  { length: CONCURRENCY_RANGE.max - CONCURRENCY_RANGE.min + 1 },
  (_, index) => {
    const value = CONCURRENCY_RANGE.min + index;
    return {
      value: String(value),
      label: `${value} at once${value === CONCURRENCY_RANGE.default ? " (recommended)" : ""}`,
    };
  },
);

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
  concurrency,
});

/** What createCampaign takes: the form's fields; concurrency defaults to 4 (the column's default). */
export type CampaignInput = Omit<z.infer<typeof CampaignSchema>, "concurrency"> & {
  concurrency?: number;
};

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
  z.object({ intent: z.literal("set-concurrency"), concurrency }),
]);
