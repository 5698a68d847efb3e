import { z } from "zod";
import { pkbUrl } from "../pkb/connection-forms.ts";

/**
 * The Notify settings form: what an administrator types, checked field by field with messages
 * that name the field. The API key and the callback bearer token are write-only: blank keeps the
 * stored one (the server module decides when that is not allowed).
 */
const KEY_SHAPE =
  /^.+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const templateId = (label: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.uuid(`Enter the ${label} id, a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e`));

export const NotifySettingsFormSchema = z.object({
  baseUrl: pkbUrl("Notify API address"),
  apiKey: z
    .string()
    .trim()
    .max(500, "The API key is too long")
    .default("")
    .refine(
      (value) => value === "" || KEY_SHAPE.test(value),
      "The API key must be the whole key Notify showed: its name, then two UUIDs",
    ),
  smsTemplateId: templateId("text message template"),
  emailTemplateId: templateId("e-mail template"),
  callbackBearerToken: z
    .string()
    .trim()
    .max(500, "The callback bearer token is too long")
    .default("")
    .refine(
      (value) => value === "" || (value.length >= 10 && /^[\x21-\x7e]+$/.test(value)),
      "The callback bearer token must be at least 10 characters, without spaces (Notify requires 10)",
    ),
});
export type NotifySettingsForm = z.infer<typeof NotifySettingsFormSchema>;

export const NOTIFY_SECRET_FIELDS = ["apiKey", "callbackBearerToken"] as const;
export type NotifySecretField = (typeof NOTIFY_SECRET_FIELDS)[number];

/** The non-secret fields of a submitted form, to show again after an error (secrets never). */
export function notifyFormValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of ["baseUrl", "smsTemplateId", "emailTemplateId"]) {
    const value = form.get(name);
    if (typeof value === "string") values[name] = value;
  }
  return values;
}
