import { z } from "zod";

export const TeamSchema = z.object({
  name: z.string().trim().min(1, "Enter a team name").max(80, "Use at most 80 characters"),
  description: z.string().trim().max(500, "Use at most 500 characters").default(""),
});
