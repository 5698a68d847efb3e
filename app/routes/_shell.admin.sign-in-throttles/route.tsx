import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import {
  ACCOUNT_SLOWDOWN,
  ADDRESS_LIMIT,
  clearThrottle,
  listCurrentThrottles,
  PAIR_LIMIT,
  type ThrottleScope,
} from "~/modules/auth/login-throttle.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

/**
 * Current sign-in throttles (ADR 0016): who is blocked or slowed, and a way to clear one when a
 * real person is caught by it (e.g. a ward's shared address after a mistyped password spree).
 */
export const access = { loader: "read:user", action: "update:user" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Sign-in throttles – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const throttles = await listCurrentThrottles();
  return Response.json({
    canClear: hasPermission(session.user.role, access.action),
    limits: {
      pair: PAIR_LIMIT.attempts,
      address: ADDRESS_LIMIT.attempts,
      freeAttempts: ACCOUNT_SLOWDOWN.freeAttempts,
      maxDelaySeconds: ACCOUNT_SLOWDOWN.maxDelayMs / 1000,
      minutes: PAIR_LIMIT.windowMs / 60_000,
    },
    throttles: throttles.map((row) => ({
      key: row.key,
      scope: row.scope,
      email: row.email,
      address: row.address,
      attempts: row.attempts,
      since: formatUkDateTime(row.windowStart),
      blockedUntil: row.blockedUntil ? formatUkDateTime(row.blockedUntil) : null,
      nextDelaySeconds: row.nextDelayMs / 1000,
    })),
  } satisfies ThrottlesData);
}

const ClearSchema = z.object({ key: z.string().min(1).max(1000) });

export async function action({ request }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const parsed = ClearSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return new Response("Bad Request", { status: 400 });
  const cleared = await clearThrottle(parsed.data.key, { actor, clientAddress });
  return redirectWithToast(
    "/admin/sign-in-throttles",
    cleared
      ? { kind: "success", message: "The throttle was cleared." }
      : { kind: "error", message: "That throttle had already ended or been cleared." },
  );
}

interface ThrottlesData {
  canClear: boolean;
  limits: {
    pair: number;
    address: number;
    freeAttempts: number;
    maxDelaySeconds: number;
    minutes: number;
  };
  throttles: Array<{
    key: string;
    scope: ThrottleScope;
    email: string | null;
    address: string | null;
    attempts: number;
    since: string;
    blockedUntil: string | null;
    nextDelaySeconds: number;
  }>;
}

const SCOPE_LABEL: Record<ThrottleScope, string> = {
  "account-address": "One account from one address",
  address: "Every account from one address",
  account: "One account from anywhere",
};

function describeState(row: ThrottlesData["throttles"][number]): string {
  if (row.blockedUntil) return `Blocked until ${row.blockedUntil}`;
  if (row.scope === "account") {
    return row.nextDelaySeconds > 0
      ? `Slowed: the next attempt waits ${row.nextDelaySeconds} s`
      : "Counting, not slowed yet";
  }
  return "Counting, not blocked";
}

export default function SignInThrottles() {
  const data = useLoaderData<ThrottlesData>();
  return (
    <>
      <PageHeading
        title="Sign-in throttles"
        lede={`Failed sign-ins are counted for ${data.limits.minutes} minutes. After ${data.limits.pair} from one address to one account, that address is blocked for that account only; after ${data.limits.address} from one address, it is blocked for every account. An account itself is never blocked: after ${data.limits.freeAttempts} failures each attempt waits longer, up to ${data.limits.maxDelaySeconds} seconds, so its owner can still sign in.`}
      />
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Current throttles</h2>
        {data.throttles.length === 0 ? (
          <p>No one is blocked or slowed.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Sign-in throttles in force or counting</caption>
            <HeaderRow>
              <Th>Applies to</Th>
              <Th>Account</Th>
              <Th>Address</Th>
              <Th numeric>Attempts</Th>
              <Th>Counting since (UK)</Th>
              <Th>State</Th>
              {data.canClear ? (
                <Th>
                  <span className="sr-only">Action</span>
                </Th>
              ) : null}
            </HeaderRow>
            <tbody>
              {data.throttles.map((row) => (
                <tr key={row.key} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4">{SCOPE_LABEL[row.scope]}</td>
                  <td className="py-2 pr-4 break-all">{row.email ?? "Any"}</td>
                  <td className="py-2 pr-4 font-mono">{row.address ?? "Any"}</td>
                  <td className="py-2 pr-4 text-right">{row.attempts}</td>
                  <td className="py-2 pr-4 whitespace-nowrap">{row.since}</td>
                  <td className={`py-2 pr-4 ${row.blockedUntil ? "font-bold text-nhs-red" : ""}`}>
                    {describeState(row)}
                  </td>
                  {data.canClear ? (
                    <td className="py-2 pr-4">
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="key" value={row.key} />
                        <Button variant="secondary">
                          Clear
                          <span className="sr-only">
                            {` ${SCOPE_LABEL[row.scope].toLowerCase()}: ${row.email ?? ""} ${row.address ?? ""}`}
                          </span>
                        </Button>
                      </Form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
