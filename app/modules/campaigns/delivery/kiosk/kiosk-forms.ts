import { z } from "zod";

/**
 * The kiosk's two patient steps. Messages are written for a patient at a touch screen, in plain
 * words; the NHS number's check digit and the date's validity are checked on the server
 * (kiosk.server.ts) so the page can say exactly which field is wrong.
 */
const digits = (label: string, min: number, max: number) =>
  z
    .string({ error: `Enter your ${label}` })
    .trim()
    // abort: an empty field gets one message ("Enter …"), not "must be a number" as well
    .min(1, { error: `Enter your ${label}`, abort: true })
    .regex(/^\d+$/, { error: `Your ${label} must be a number`, abort: true })
    .transform(Number)
    .refine((value) => value >= min && value <= max, `Enter a real ${label}`);

export const identifySchema = z.object({
  intent: z.literal("identify"),
  nationalId: z
    .string({ error: "Enter your NHS number" })
    .trim()
    .min(1, { error: "Enter your NHS number", abort: true })
    .transform((value) => value.replace(/[\s-]/g, ""))
    .refine((value) => /^\d{10}$/.test(value), "Your NHS number is 10 digits, like 943 476 5919"),
  dobDay: digits("day of birth", 1, 31),
  dobMonth: digits("month of birth", 1, 12),
  dobYear: digits("year of birth", 1900, 2100),
});

export const emailSchema = z
  .object({
    intent: z.literal("email"),
    visitId: z.uuid(),
    email: z
      .string({ error: "Enter your e-mail address" })
      .trim()
      .min(1, "Enter your e-mail address")
      .max(254, "That e-mail address is too long")
      .pipe(z.email("Enter an e-mail address like name@example.com")),
    emailAgain: z.string({ error: "Type your e-mail address again" }).trim(),
  })
  .refine((form) => form.email.toLowerCase() === form.emailAgain.toLowerCase(), {
    message: "The two e-mail addresses are not the same",
    path: ["emailAgain"],
  });

export const kioskFormSchema = z.discriminatedUnion("intent", [identifySchema, emailSchema]);
