import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import { decideReview, reviewPage } from "~/modules/campaigns/review.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = { loader: "read:campaign", action: "manage:campaign" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Patients to review – PKB Desk" }];

const DecisionSchema = z.object({
  recipientId: z.uuid(),
  decision: z.enum(["keep", "leave-out"]),
});

async function campaignOr404(campaignId: string | undefined) {
  const id = z.uuid().safeParse(campaignId);
  if (!id.success) throw notFound();
  const campaign = await (
    await prisma()
  ).campaign.findUnique({
    where: { id: id.data },
    select: { id: true, name: true },
  });
  if (!campaign) throw notFound();
  return campaign;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const campaign = await campaignOr404(params.campaignId);
  return {
    campaign,
    canManage: hasPermission(session.user.role, "manage:campaign"),
    ...(await reviewPage(campaign.id)),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const campaign = await campaignOr404(params.campaignId);
  const parsed = DecisionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return new Response("Bad Request", { status: 400 });
  const done = await decideReview(campaign.id, parsed.data.recipientId, parsed.data.decision, {
    actor,
    clientAddress,
  });
  return redirectWithToast(`/campaigns/${campaign.id}/review`, {
    kind: done ? "success" : "error",
    message: done
      ? parsed.data.decision === "keep"
        ? "Kept in the campaign: they will be checked with PKB."
        : "Left out of the campaign."
      : "That patient was already decided.",
  });
}

export default function ReviewPage() {
  const { campaign, canManage, count, shown } = useLoaderData<typeof loader>();
  return (
    <>
      <p className="mb-4">
        <Link to={`/campaigns/${campaign.id}`}>Back to {campaign.name}</Link>
      </p>
      <PageHeading
        title="Patients to review"
        lede={`${count.toLocaleString("en-GB")} patients in ${campaign.name} need a person to decide before they are checked with PKB.`}
      />
      <Panel>
        {shown.length === 0 ? (
          <p>Nobody is waiting for review.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">Patients waiting for review, in list order</caption>
            <HeaderRow>
              <Th>Identifier</Th>
              <Th>Name</Th>
              <Th numeric>Row</Th>
              <Th>Why</Th>
              {canManage ? (
                <Th>
                  <span className="sr-only">Decision</span>
                </Th>
              ) : null}
            </HeaderRow>
            <tbody>
              {shown.map((row) => (
                <tr key={row.id} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4 font-mono">{row.maskedId}</td>
                  <td className="py-2 pr-4">{row.name}</td>
                  <td className="py-2 pr-4 text-right tabular-nums">{row.sourceRow}</td>
                  <td className="py-2 pr-4">{row.reason}</td>
                  {canManage ? (
                    <td className="py-2 pr-4">
                      <Form method="post" className="flex gap-2">
                        <CsrfInput />
                        <input type="hidden" name="recipientId" value={row.id} />
                        <Button type="submit" name="decision" value="keep" variant="secondary">
                          Keep<span className="sr-only"> row {row.sourceRow}</span>
                        </Button>
                        <Button type="submit" name="decision" value="leave-out" variant="secondary">
                          Leave out<span className="sr-only"> row {row.sourceRow}</span>
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
