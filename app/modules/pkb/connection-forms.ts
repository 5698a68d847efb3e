import { z } from "zod";
import type { PkbEndpoints } from "./grant-contract.ts";

/**
 * The PKB connection form: what an administrator types, checked field by field with messages
 * that name the field. Shared by the new and edit pages; secrets are optional on edit (blank
 * keeps the stored one), which the server module decides, not this schema.
 */
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https anywhere; plain http only on this machine (the sandbox, a developer's laptop). */
export function pkbUrl(label: string) {
  return (
    z
      .string()
      .trim()
      .min(1, `Enter the ${label}`)
      .max(500, `The ${label} is too long`)
      .superRefine((value, ctx) => {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          ctx.addIssue({ code: "custom", message: `The ${label} must be a full web address` });
          return;
        }
        if (url.protocol !== "https:" && url.protocol !== "http:") {
          ctx.addIssue({ code: "custom", message: `The ${label} must start with https://` });
        } else if (url.protocol === "http:" && !LOOPBACK.has(url.hostname)) {
          ctx.addIssue({
            code: "custom",
            message: `The ${label} must use https:// (http:// is allowed only for localhost or 127.0.0.1)`,
          });
        } else if (url.username || url.password) {
          ctx.addIssue({ code: "custom", message: `The ${label} must not contain a user name` });
        } else if (url.search || url.hash) {
          ctx.addIssue({
            code: "custom",
            message: `The ${label} must not have a query (?…) or fragment (#…)`,
          });
        }
      })
      // One spelling: no trailing slash, so paths can be appended.
      .transform((value) => value.replace(/\/+$/, ""))
  );
}

const clientId = (label: string) =>
  z
    .string()
    .trim()
    .min(1, `Enter the ${label}`)
    .max(200, `The ${label} is too long`)
    .regex(/^[\x21-\x7e]+$/, `The ${label} must not contain spaces or unusual characters`);

const secret = (label: string) =>
  z
    .string()
    .max(500, `The ${label} is too long`)
    .default("")
    .transform((value) => value.trim());

export const ENDPOINT_FIELDS = [
  { name: "webBaseUrl", label: "web and sign-in address" },
  { name: "systemTokenUrl", label: "system token address" },
  { name: "aggregatedTokenUrl", label: "Aggregated token address" },
  { name: "facadeBaseUrl", label: "FHIR Facade address" },
  { name: "restBaseUrl", label: "Custom REST address" },
  { name: "aggregatedBaseUrl", label: "Aggregated FHIR address" },
] as const satisfies ReadonlyArray<{ name: keyof PkbEndpoints; label: string }>;

export const SECRET_FIELDS = [
  "userClientSecret",
  "systemClientSecret",
  "aggregatedClientSecret",
] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

export const ConnectionFormSchema = z.object({
  label: z
    .string()
    .trim()
    .min(1, "Enter a name for this PKB organisation")
    .max(80, "Use at most 80 characters for the name"),
  webBaseUrl: pkbUrl("web and sign-in address"),
  systemTokenUrl: pkbUrl("system token address"),
  aggregatedTokenUrl: pkbUrl("Aggregated token address"),
  facadeBaseUrl: pkbUrl("FHIR Facade address"),
  restBaseUrl: pkbUrl("Custom REST address"),
  aggregatedBaseUrl: pkbUrl("Aggregated FHIR address"),
  userClientId: clientId("user client id"),
  userClientSecret: secret("user client secret"),
  redirectUri: pkbUrl("redirect address"),
  systemClientId: clientId("system client id"),
  systemClientSecret: secret("system client secret"),
  aggregatedClientId: clientId("Aggregated client id"),
  aggregatedClientSecret: secret("Aggregated client secret"),
  organisationPublicId: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(
      z.uuid(
        "Enter the organisation's public id, a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e",
      ),
    ),
  nominatedTeamName: z
    .string()
    .trim()
    .min(1, "Enter the name of the PKB team that receives patients' requests")
    .max(200, "Use at most 200 characters for the team name"),
});
export type ConnectionForm = z.infer<typeof ConnectionFormSchema>;

/** The non-secret fields of a submitted form, to show again after an error (secrets never). */
export function connectionFormValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of form) {
    if (
      typeof value === "string" &&
      key !== "csrf" &&
      !(SECRET_FIELDS as readonly string[]).includes(key)
    ) {
      values[key] = value;
    }
  }
  return values;
}

const SECRET_NAMES: Record<SecretField, string> = {
  userClientSecret: "user client secret",
  systemClientSecret: "system client secret",
  aggregatedClientSecret: "Aggregated client secret",
};

/** A new connection needs all three secrets: one message per missing one. */
export function missingSecrets(form: FormData): Array<{ field: SecretField; message: string }> {
  return SECRET_FIELDS.filter((field) => !String(form.get(field) ?? "").trim()).map((field) => ({
    field,
    message: `Enter the ${SECRET_NAMES[field]}`,
  }));
}
