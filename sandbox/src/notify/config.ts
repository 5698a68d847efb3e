import { z } from "zod";

/**
 * The sandbox's GOV.UK Notify: one service with one live API key and a few templates. The ids are
 * fixed so the portal, the demo and the tests can use them with zero configuration. Notify API keys
 * look like `{key name}-{service id}-{secret}`; the official clients take the last 73 characters
 * apart and sign a JWT with the secret (HS256, `iss` = service id).
 */
export const DEFAULT_NOTIFY_SERVICE_ID = "5d1f7c2a-6b3e-4c8d-9a0f-1e2d3c4b5a69";
export const DEFAULT_NOTIFY_KEY_SECRET = "0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f";
export const DEFAULT_NOTIFY_KEY_NAME = "pkb_desk_sandbox";
export const DEFAULT_NOTIFY_API_KEY = `${DEFAULT_NOTIFY_KEY_NAME}-${DEFAULT_NOTIFY_SERVICE_ID}-${DEFAULT_NOTIFY_KEY_SECRET}`;

export const notifyTemplateSchema = z.object({
  id: z.string().uuid(),
  name: z.string().min(1),
  type: z.enum(["sms", "email"]),
  /** Email only. May hold ((placeholders)). */
  subject: z.string().optional(),
  /** May hold ((placeholders)), filled from `personalisation`. */
  body: z.string().min(1),
  version: z.number().int().min(1).default(1),
});
export type NotifyTemplate = z.output<typeof notifyTemplateSchema>;

/**
 * Default templates. The pass-through ones let the portal own the wording (its campaign templates
 * render the text, Notify only carries it), which is how many NHS services use Notify; the
 * invitation ones have named placeholders so a missing field can be seen to fail.
 */
export const DEFAULT_NOTIFY_TEMPLATES: NotifyTemplate[] = [
  {
    id: "8a3b6c1d-2e4f-4a5b-9c6d-7e8f9a0b1c21",
    name: "Text message (pass-through)",
    type: "sms",
    body: "((body))",
    version: 1,
  },
  {
    id: "8a3b6c1d-2e4f-4a5b-9c6d-7e8f9a0b1c22",
    name: "Email (pass-through)",
    type: "email",
    subject: "((subject))",
    body: "((body))",
    version: 1,
  },
  {
    id: "8a3b6c1d-2e4f-4a5b-9c6d-7e8f9a0b1c23",
    name: "PKB invitation codes (text message)",
    type: "sms",
    body: "Your Patients Know Best invitation code is ((invitation_code)) and your access code is ((access_code)). They expire on ((expiry)).",
    version: 1,
  },
  {
    id: "8a3b6c1d-2e4f-4a5b-9c6d-7e8f9a0b1c24",
    name: "PKB invitation (email)",
    type: "email",
    subject: "Your invitation to Patients Know Best",
    body: "Dear ((name)),\n\nJoin Patients Know Best: ((join_url))\n\nThis invitation expires on ((expiry)).",
    version: 1,
  },
];

export const notifyOptionsSchema = z.object({
  serviceId: z.string().uuid().default(DEFAULT_NOTIFY_SERVICE_ID),
  serviceName: z.string().default("PKB Desk sandbox"),
  apiKeys: z
    .array(z.object({ name: z.string().min(1), secret: z.string().min(1) }))
    .default([{ name: DEFAULT_NOTIFY_KEY_NAME, secret: DEFAULT_NOTIFY_KEY_SECRET }]),
  templates: z.array(notifyTemplateSchema).default(DEFAULT_NOTIFY_TEMPLATES),
  /** Where delivery receipts are POSTed (Notify's "callbacks for delivery receipts"). */
  callbackUrl: z.string().url().optional(),
  callbackBearerToken: z.string().min(10).optional(),
});
export type NotifyOptions = z.input<typeof notifyOptionsSchema>;
