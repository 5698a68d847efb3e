import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useEffect } from "react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import {
  createFileBatch,
  decideDispatch,
  DeliveryActionError,
  pauseWave,
  startWave,
} from "~/modules/campaigns/delivery/delivery.server.ts";
import {
  CHANNEL_LABELS,
  CHANNELS,
  COUNTED_CHANNELS,
  STATE_LABELS,
  STATES,
} from "~/modules/campaigns/delivery/labels.ts";
import { deliveryOverview } from "~/modules/campaigns/delivery/overview.server.ts";
import { kioskInviteJob } from "~/modules/campaigns/delivery/kiosk/kiosk-invite.job.server.ts";
import { enqueueWave } from "~/modules/campaigns/delivery/wave.job.server.ts";
import { maskNationalId } from "~/modules/pkb/identifiers.ts";
import { prisma } from "~/platform/db.server.ts";
import { enqueue } from "~/platform/jobs/enqueue.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = { loader: "read:campaign", action: "manage:campaign" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Delivery – PKB Desk" }];

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("start-wave"), channel: z.enum(["SMS", "EMAIL"]) }),
  z.object({ intent: z.literal("pause-wave"), waveId: z.uuid() }),
  z.object({ intent: z.literal("file-batch"), channel: z.enum(["LETTER", "SMS", "EMAIL"]) }),
  z.object({
    intent: z.literal("decide"),
    dispatchId: z.uuid(),
    decision: z.enum(["mark-sent", "send-again", "release", "do-not-send"]),
  }),
]);

async function campaignOr404(campaignId: string | undefined) {
  const id = z.uuid().safeParse(campaignId);
  if (!id.success) throw notFound();
  const campaign = await (
    await prisma()
  ).campaign.findUnique({ where: { id: id.data }, select: { id: true, name: true, state: true } });
  if (!campaign) throw notFound();
  return campaign;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const campaign = await campaignOr404(params.campaignId);
  const overview = await deliveryOverview(campaign.id);
  return {
    campaign,
    canManage: hasPermission(session.user.role, "manage:campaign"),
    ...overview,
    attention: overview.attention.map((row) => ({
      ...row,
      nationalId: maskNationalId(row.nationalId),
    })),
    noAddress: {
      ...overview.noAddress,
      first: overview.noAddress.first.map((r) => ({
        id: r.id,
        name: [r.givenName, r.familyName].filter(Boolean).join(" ") || "—",
        nationalId: maskNationalId(r.nationalId),
        sourceRow: r.sourceRow,
      })),
    },
  };
}

const DECISION_DONE: Record<string, string> = {
  "mark-sent": "Marked as sent.",
  "send-again": "It will be sent in the next wave.",
  release: "Released: it will be sent in the next wave.",
  "do-not-send": "It will not be sent.",
};

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const campaign = await campaignOr404(params.campaignId);
  const parsed = ActionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return new Response("Bad Request", { status: 400 });
  const context = { actor, clientAddress };
  const here = `/campaigns/${campaign.id}/delivery`;
  const input = parsed.data;
  try {
    switch (input.intent) {
      case "start-wave": {
        const { waveId, resumed } = await startWave(campaign.id, input.channel, context);
        await enqueueWave(waveId);
        return redirectWithToast(here, {
          kind: "success",
          message: `${resumed ? "Resumed" : "Started"} the ${CHANNEL_LABELS[input.channel].toLowerCase()} wave.`,
        });
      }
      case "pause-wave":
        await pauseWave(campaign.id, input.waveId, context);
        return redirectWithToast(here, { kind: "success", message: "Paused the wave." });
      case "file-batch": {
        const batch = await createFileBatch(campaign.id, input.channel, context);
        return redirectWithToast(here, {
          kind: "success",
          message: `Made a batch of ${batch.count.toLocaleString("en-GB")} ${input.channel === "LETTER" ? "letters" : "invitations"}${batch.held ? `; ${batch.held} held for review` : ""}. Download it below.`,
        });
      }
      case "decide":
        await decideDispatch(campaign.id, input.dispatchId, input.decision, context);
        if (input.decision === "send-again" || input.decision === "release") {
          const db = await prisma();
          const dispatch = await db.invitationDispatch.findUnique({
            where: { id: input.dispatchId },
            select: { channel: true, recipientId: true },
          });
          // A kiosk e-mail has no wave: its own job sends it again (once; it claims the row).
          if (dispatch?.channel === "KIOSK") {
            await enqueue(
              kioskInviteJob,
              { recipientId: dispatch.recipientId },
              { singletonKey: `kiosk-invite:${dispatch.recipientId}` },
            );
          }
          const wave = await db.deliveryWave.findFirst({
            where: { campaignId: campaign.id, channel: dispatch?.channel, state: "RUNNING" },
          });
          if (wave) await enqueueWave(wave.id);
        }
        return redirectWithToast(here, {
          kind: "success",
          message: DECISION_DONE[input.decision]!,
        });
    }
  } catch (error) {
    if (error instanceof DeliveryActionError) return { errors: [{ message: error.message }] };
    throw error;
  }
}

function useAutoRefresh(active: boolean) {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible" && !document.querySelector("form:focus-within")) {
        window.location.reload();
      }
    }, 5_000);
    return () => clearInterval(timer);
  }, [active]);
}

function IntentButton(props: {
  intent: string;
  label: string;
  fields?: Record<string, string>;
  variant?: "primary" | "secondary" | "warning";
  srSuffix?: string;
}) {
  return (
    <Form method="post">
      <CsrfInput />
      <input type="hidden" name="intent" value={props.intent} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <Button type="submit" variant={props.variant ?? "primary"}>
        {props.label}
        {props.srSuffix ? <span className="sr-only"> {props.srSuffix}</span> : null}
      </Button>
    </Form>
  );
}

export default function DeliveryPage() {
  const data = useLoaderData<typeof loader>();
  const errors = useActionData<{ errors: Array<{ message: string }> }>()?.errors ?? [];
  const { campaign, canManage, counts, waves, attention, batches, noAddress } = data;
  const generated = campaign.state === "GENERATED";
  const running = waves.filter((w) => w.state === "RUNNING");
  useAutoRefresh(running.length > 0);
  const visibleStates = STATES.filter((s) => COUNTED_CHANNELS.some((c) => counts[c][s] > 0));
  return (
    <>
      <p className="mb-4 flex gap-6">
        <Link to={`/campaigns/${campaign.id}`}>Back to {campaign.name}</Link>
        <Link to={`/campaigns/${campaign.id}/templates`}>Invitation wording</Link>
      </p>
      <PageHeading
        title="Delivery"
        lede={`Send each patient in ${campaign.name} their invitation once: by letter, text message or e-mail. ${data.withCodes.toLocaleString("en-GB")} patients hold codes that still work.`}
      />
      <ErrorSummary errors={errors} />
      {!generated ? (
        <Panel>
          <p className="text-lg">
            Invitations can be sent once the campaign&apos;s invitation codes have been generated.
          </p>
        </Panel>
      ) : null}

      <Panel>
        <h2 className="mb-3 text-xl font-bold">Invitations by channel</h2>
        {visibleStates.length === 0 ? (
          <p>No invitation has been sent yet.</p>
        ) : (
          <table className="w-full text-left" data-testid="delivery-counts">
            <caption className="sr-only">Invitations by channel and state</caption>
            <HeaderRow>
              <Th>Channel</Th>
              {visibleStates.map((s) => (
                <Th key={s} numeric>
                  {STATE_LABELS[s]}
                </Th>
              ))}
            </HeaderRow>
            <tbody>
              {COUNTED_CHANNELS.map((c) => (
                <tr key={c} className="border-b border-nhs-pale-grey">
                  <th scope="row" className="py-2 pr-4 font-bold">
                    {CHANNEL_LABELS[c]}
                  </th>
                  {visibleStates.map((s) => (
                    <td key={s} className="py-2 pr-4 text-right tabular-nums">
                      {counts[c][s].toLocaleString("en-GB")}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>

      <div className="grid gap-6 lg:grid-cols-2">
        <Panel className="mb-0">
          <h2 className="text-xl font-bold">Text messages and e-mails</h2>
          <p className="mt-2">
            Sent through GOV.UK Notify, a few at a time. Each patient gets two texts — the codes,
            then the link — or one e-mail. Nobody is sent twice: if the answer from Notify is lost,
            the invitation waits below for you to check.
          </p>
          {waves.length > 0 ? (
            <ul className="mt-3 space-y-2" data-testid="waves">
              {waves.map((w) => (
                <li key={w.id} className="border-l-4 border-nhs-blue pl-3">
                  <strong>{CHANNEL_LABELS[w.channel as "SMS" | "EMAIL"]} wave</strong> —{" "}
                  {w.state === "RUNNING" ? "sending" : w.state === "PAUSED" ? "paused" : "finished"}
                  {w.pausedReason ? (
                    <p className="text-nhs-red font-bold">{w.pausedReason}</p>
                  ) : null}
                  {canManage && w.state === "RUNNING" ? (
                    <div className="mt-1">
                      <IntentButton
                        intent="pause-wave"
                        label="Pause"
                        variant="secondary"
                        fields={{ waveId: w.id }}
                      />
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
          {canManage && generated ? (
            <div className="mt-4 flex flex-wrap gap-3">
              <IntentButton
                intent="start-wave"
                label="Send text messages"
                fields={{ channel: "SMS" }}
              />
              <IntentButton
                intent="start-wave"
                label="Send e-mails"
                variant="secondary"
                fields={{ channel: "EMAIL" }}
              />
            </div>
          ) : null}
        </Panel>

        <Panel className="mb-0">
          <h2 className="text-xl font-bold">Letters and files</h2>
          <p className="mt-2">
            A batch takes every patient with codes who has not had one yet. Download the letters as
            a print-ready PDF, or the mail-merge file for your print or hybrid-mail house.
          </p>
          {noAddress.count > 0 ? (
            <details className="mt-3">
              <summary className="cursor-pointer font-bold">
                {noAddress.count.toLocaleString("en-GB")}{" "}
                {noAddress.count === 1 ? "patient cannot" : "patients cannot"} be sent a letter
              </summary>
              <p className="mt-1">{noAddress.reason}</p>
              <ul className="mt-1 list-disc pl-6">
                {noAddress.first.map((r) => (
                  <li key={r.id}>
                    Row {r.sourceRow}: {r.name} ({r.nationalId})
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          {canManage && generated ? (
            <div className="mt-4 flex flex-wrap gap-3">
              <IntentButton
                intent="file-batch"
                label="Make a letter batch"
                fields={{ channel: "LETTER" }}
              />
              <IntentButton
                intent="file-batch"
                label="Export texts to a file"
                variant="secondary"
                fields={{ channel: "SMS" }}
              />
              <IntentButton
                intent="file-batch"
                label="Export e-mails to a file"
                variant="secondary"
                fields={{ channel: "EMAIL" }}
              />
            </div>
          ) : null}
          {CHANNELS.some((c) => batches[c].length > 0) ? (
            <table className="mt-4 w-full text-left" data-testid="batches">
              <caption className="sr-only">File batches and their downloads</caption>
              <HeaderRow>
                <Th>Batch</Th>
                <Th numeric>Invitations</Th>
                <Th>Downloads</Th>
              </HeaderRow>
              <tbody>
                {CHANNELS.flatMap((c) =>
                  batches[c].map((b) => (
                    <tr key={b.batchId} className="border-b border-nhs-pale-grey">
                      <td className="py-2 pr-4">
                        {CHANNEL_LABELS[c]} ·{" "}
                        {new Date(b.createdAt).toLocaleString("en-GB", {
                          timeZone: "Europe/London",
                        })}
                      </td>
                      <td className="py-2 pr-4 text-right tabular-nums">{b.count}</td>
                      <td className="flex flex-wrap gap-4 py-2 pr-4">
                        {canManage && c === "LETTER" ? (
                          <a
                            href={`/campaigns/${campaign.id}/delivery/batches/${b.batchId}/letters.pdf`}
                            download
                          >
                            Letters (PDF)
                          </a>
                        ) : null}
                        {canManage ? (
                          <a
                            href={`/campaigns/${campaign.id}/delivery/batches/${b.batchId}/file.csv`}
                            download
                          >
                            {c === "LETTER" ? "Mail-merge file (CSV)" : "Messages (CSV)"}
                          </a>
                        ) : null}
                      </td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          ) : null}
        </Panel>
      </div>

      <Panel className="mt-6">
        <h2 className="text-xl font-bold">Waiting for a person</h2>
        <p className="mt-2">
          Invitations the portal will not send by itself: the answer was lost after the message may
          have gone (check in GOV.UK Notify by the reference first), the contact is shared with
          other patients, or the provider refused it.
        </p>
        {attention.length === 0 ? (
          <p className="mt-3" data-testid="attention-empty">
            Nothing is waiting.
          </p>
        ) : (
          <table className="mt-3 w-full text-left" data-testid="attention">
            <caption className="sr-only">Invitations waiting for a decision</caption>
            <HeaderRow>
              <Th>Patient</Th>
              <Th>Channel</Th>
              <Th>State</Th>
              <Th>Why</Th>
              {canManage ? (
                <Th>
                  <span className="sr-only">Decision</span>
                </Th>
              ) : null}
            </HeaderRow>
            <tbody>
              {attention.map((row) => (
                <tr key={row.id} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4">
                    {row.name}
                    <br />
                    <span className="font-mono text-sm">
                      {row.nationalId} · row {row.sourceRow}
                    </span>
                    <br />
                    <span className="font-mono text-xs text-nhs-dark-grey">ref {row.id}</span>
                  </td>
                  <td className="py-2 pr-4">{CHANNEL_LABELS[row.channel]}</td>
                  <td className="py-2 pr-4 font-bold">{STATE_LABELS[row.state]}</td>
                  <td className="py-2 pr-4">{row.reason}</td>
                  {canManage ? (
                    <td className="py-2 pr-4">
                      <div className="flex flex-col gap-2">
                        {row.state === "OUTCOME_UNKNOWN" ? (
                          <>
                            <IntentButton
                              intent="decide"
                              label="Mark as sent"
                              variant="secondary"
                              srSuffix={`row ${row.sourceRow}`}
                              fields={{ dispatchId: row.id, decision: "mark-sent" }}
                            />
                            <IntentButton
                              intent="decide"
                              label="Send again"
                              variant="secondary"
                              srSuffix={`row ${row.sourceRow}`}
                              fields={{ dispatchId: row.id, decision: "send-again" }}
                            />
                          </>
                        ) : null}
                        {row.state === "HELD" ? (
                          <IntentButton
                            intent="decide"
                            label="Release"
                            variant="secondary"
                            srSuffix={`row ${row.sourceRow}`}
                            fields={{ dispatchId: row.id, decision: "release" }}
                          />
                        ) : null}
                        {row.state !== "PERMANENT_FAILURE" ? (
                          <IntentButton
                            intent="decide"
                            label="Do not send"
                            variant="secondary"
                            srSuffix={`row ${row.sourceRow}`}
                            fields={{ dispatchId: row.id, decision: "do-not-send" }}
                          />
                        ) : null}
                      </div>
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
