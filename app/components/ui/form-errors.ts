import type { z } from "zod";

/** A form error as the pages show it: tied to a field (linked from the summary) or to the form. */
export interface FormError {
  field?: string;
  message: string;
}

/** zod's issues → one error per issue, named by its top-level field. */
export function formErrorsFromZod(error: z.ZodError): FormError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? String(issue.path[0]) : undefined,
    message: issue.message,
  }));
}

/** The messages for one field, for the field's own error line. */
export function messagesFor(errors: FormError[], field: string): string[] {
  return errors.filter((error) => error.field === field).map((error) => error.message);
}
