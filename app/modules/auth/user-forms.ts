import { z } from "zod";
import { Role } from "~/generated/prisma/enums.ts";

/** Form schemas for the user admin pages (shared by the new-user and edit-user routes). */
export const RoleSchema = z.enum(Object.values(Role) as [Role, ...Role[]], {
  message: "Choose a role",
});

const teamIds = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => [...new Set(value == null ? [] : Array.isArray(value) ? value : [value])])
  .pipe(z.array(z.uuid()));

export const NewUserSchema = z.object({
  email: z.email("Enter an e-mail address like name@nhs.net").max(320),
  displayName: z.string().trim().min(1, "Enter the person's name").max(120),
  role: RoleSchema,
  teamIds,
});

export const EditUserSchema = z.discriminatedUnion("intent", [
  z.object({
    // "approve" saves the same fields and lets an account pending approval sign in
    intent: z.enum(["update-access", "approve"]),
    displayName: z.string().trim().min(1, "Enter the person's name").max(120),
    role: RoleSchema,
    teamIds,
  }),
  z.object({ intent: z.literal("disable") }),
  z.object({ intent: z.literal("enable") }),
  z.object({ intent: z.literal("issue-setup-link") }),
]);

/** FormData → plain object, keeping repeated fields (checkbox groups) as arrays. */
export function formToObject(form: FormData): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key).filter((value): value is string => typeof value === "string");
    result[key] = values.length > 1 || key === "teamIds" ? values : (values[0] ?? "");
  }
  return result;
}
