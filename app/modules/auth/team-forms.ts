import { z } from "zod";

export const TeamSchema = z.object({
  name: z.string().trim().min(1, "Enter a team name").max(80, "Use at most 80 characters"),
  description: z.string().trim().max(500, "Use at most 500 characters").default(""),
});

/** The team page's forms, told apart by `intent`. */
export const TeamPageSchema = z.discriminatedUnion("intent", [
  TeamSchema.extend({ intent: z.literal("update") }),
  z.object({ intent: z.literal("add-member"), userId: z.uuid("Choose a person to add") }),
  z.object({ intent: z.literal("remove-member"), userId: z.uuid() }),
]);
