import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { recordAudit } from "~/modules/audit/audit.server.ts";
import { requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { ROLE_LABELS, type RouteAccess } from "~/modules/auth/permissions.ts";
import { endUserSessions } from "~/modules/auth/session.server.ts";
import { now } from "~/platform/clock.ts";
import { prisma } from "~/platform/db.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { HeaderRow, Th } from "~/components/ui/table.tsx";

export const access = { loader: "read:account", action: "read:account" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Your account – PKB Desk" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const db = await prisma();
  const [teams, sessions] = await Promise.all([
    db.team.findMany({
      where: { id: { in: session.user.teamIds } },
      orderBy: { name: "asc" },
      select: { name: true },
    }),
    db.session.findMany({
      where: { userId: session.user.id, revokedAt: null, expiresAt: { gt: now() } },
      orderBy: { lastSeenAt: "desc" },
      select: { id: true, createdAt: true, lastSeenAt: true, userAgent: true },
    }),
  ]);
  return Response.json({
    email: session.user.email,
    displayName: session.user.displayName,
    roleLabel: ROLE_LABELS[session.user.role],
    teams: teams.map((team) => team.name),
    sessions: sessions.map((row) => ({
      current: row.id === session.id,
      startedAt: formatUkDateTime(row.createdAt),
      lastSeenAt: formatUkDateTime(row.lastSeenAt),
      browser: summariseUserAgent(row.userAgent),
    })),
  });
}

function summariseUserAgent(userAgent: string | null): string {
  if (!userAgent) return "Unknown browser";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Chrome\//.test(userAgent)
      ? "Chrome"
      : /Firefox\//.test(userAgent)
        ? "Firefox"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "Other browser";
  const system = /Windows/.test(userAgent)
    ? "Windows"
    : /Mac OS/.test(userAgent)
      ? "macOS"
      : /Linux/.test(userAgent)
        ? "Linux"
        : /Android|iPhone|iPad/.test(userAgent)
          ? "mobile"
          : "unknown system";
  return `${browser} on ${system}`;
}

export async function action({ request }: ActionFunctionArgs) {
  const { session, actor, clientAddress } = await requireMutation(request, access.action);
  const db = await prisma();
  const ended = await db.$transaction(async (tx) => {
    const count = await endUserSessions(session.user.id, "revoked", tx, session.id);
    await recordAudit(tx, {
      actor,
      clientAddress,
      action: "auth.end-other-sessions",
      entityType: "user",
      entityId: session.user.id,
      details: { sessionsEnded: count },
    });
    return count;
  });
  return redirectWithToast("/account", {
    kind: "success",
    message:
      ended === 1 ? "1 other session was signed out." : `${ended} other sessions were signed out.`,
  });
}

interface AccountData {
  email: string;
  displayName: string;
  roleLabel: string;
  teams: string[];
  sessions: Array<{ current: boolean; startedAt: string; lastSeenAt: string; browser: string }>;
}

export default function Account() {
  const data = useLoaderData<AccountData>();
  return (
    <>
      <PageHeading title="Your account" />
      <Panel>
        <dl className="grid gap-x-8 gap-y-3 sm:grid-cols-[12rem_1fr]">
          <dt className="font-bold">Name</dt>
          <dd>{data.displayName}</dd>
          <dt className="font-bold">E-mail</dt>
          <dd>{data.email}</dd>
          <dt className="font-bold">Role</dt>
          <dd>{data.roleLabel}</dd>
          <dt className="font-bold">Teams</dt>
          <dd>{data.teams.length ? data.teams.join(", ") : "None"}</dd>
        </dl>
        <p className="mt-4">
          <a href="/account/two-step">Two-step sign-in</a>
        </p>
      </Panel>
      <Panel>
        <h2 className="mb-4 text-xl font-bold">Where you are signed in</h2>
        <table className="w-full text-left">
          <caption className="sr-only">Your signed-in sessions</caption>
          <HeaderRow>
            <Th>Browser</Th>
            <Th>Signed in</Th>
            <Th>Last active</Th>
          </HeaderRow>
          <tbody>
            {data.sessions.map((session, index) => (
              <tr key={index} className="border-b border-nhs-pale-grey">
                <td className="py-2 pr-4">
                  {session.browser}
                  {session.current ? <strong className="ml-2">(this session)</strong> : null}
                </td>
                <td className="py-2 pr-4">{session.startedAt}</td>
                <td className="py-2 pr-4">{session.lastSeenAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data.sessions.length > 1 ? (
          <Form method="post" className="mt-4">
            <CsrfInput />
            <Button variant="secondary">Sign out everywhere else</Button>
          </Form>
        ) : null}
      </Panel>
    </>
  );
}
