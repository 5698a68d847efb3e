import { z } from "zod";

/** The campaign page's tracking and hybrid-mail buttons (one form each, by intent). */
export const TrackingFormSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("track-now") }),
  z.object({
    intent: z.literal("reinvite-expired"),
    /** the count the person saw and confirmed */
    expected: z.coerce.number().int().min(0),
  }),
  z.object({
    intent: z.literal("hybrid-mail-settings"),
    postAfterHours: z.coerce
      .number({ message: "Enter the number of hours as a whole number, like 72" })
      .int("Enter the number of hours as a whole number, like 72")
      .min(1, "Hours before posting must be at least 1")
      .max(24 * 60, "Hours before posting must be at most 1440 (60 days)"),
  }),
  z.object({ intent: z.literal("send-hybrid-mail") }),
]);
