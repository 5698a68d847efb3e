import { redirect } from "@remix-run/node";
import { z } from "zod";
import { getCookies } from "~/modules/auth/cookies.server.ts";

/** One-shot confirmation messages after a mutation, carried across the redirect in a signed cookie. */
const ToastSchema = z.object({
  kind: z.enum(["success", "error"]),
  message: z.string().max(300),
});
export type Toast = z.infer<typeof ToastSchema>;

export async function readToast(
  request: Request,
): Promise<{ toast: Toast | null; setCookie?: string }> {
  const raw: unknown = await getCookies().toast.parse(request.headers.get("Cookie"));
  if (raw == null) return { toast: null };
  const parsed = ToastSchema.safeParse(raw);
  return {
    toast: parsed.success ? parsed.data : null,
    setCookie: await getCookies().toast.serialize("", { maxAge: 0 }),
  };
}

export async function redirectWithToast(
  url: string,
  toast: Toast,
  init: { headers?: HeadersInit } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.append("Set-Cookie", await getCookies().toast.serialize(toast));
  return redirect(url, { headers });
}
