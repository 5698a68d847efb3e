import { Prisma } from "~/generated/prisma/client.ts";

/**
 * Prisma's error codes for the constraint violations domain code turns into messages:
 * P2002 unique constraint, P2003 foreign key.
 */
export function isConstraintViolation(error: unknown, code: "P2002" | "P2003"): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;
}
