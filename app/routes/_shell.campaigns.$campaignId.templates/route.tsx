import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import {
  renderEmail,
  renderLetter,
  renderSms,
  SAMPLE_VALUES,
  templateFormSchema,
  templateProblems,
  type TemplateChannel,
} from "~/modules/campaigns/delivery/templates/channel-templates.ts";
import { PLACEHOLDERS } from "~/modules/campaigns/delivery/templates/placeholders.ts";
import { joinBase, joinLink } from "~/modules/campaigns/delivery/join-link.ts";
import { CHANNEL_LABELS } from "~/modules/campaigns/delivery/labels.ts";
import {
  loadTemplates,
  saveTemplate,
  TemplateRejected,
} from "~/modules/campaigns/delivery/templates/templates.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

export const access = { loader: "read:campaign", action: "manage:campaign" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Invitation wording – PKB Desk" }];

const CHANNELS: TemplateChannel[] = ["LETTER", "SMS", "EMAIL"];

async function campaignOr404(campaignId: string | undefined) {
  const id = z.uuid().safeParse(campaignId);
  if (!id.success) throw notFound();
  const campaign = await (
    await prisma()
  ).campaign.findUnique({
    where: { id: id.data },
    select: {
      id: true,
      name: true,
      teamCode: true,
      pkbConnection: { select: { label: true, webBaseUrl: true } },
    },
  });
  if (!campaign) throw notFound();
  return campaign;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const campaign = await campaignOr404(params.campaignId);
  const channel = z
    .enum(["LETTER", "SMS", "EMAIL"])
    .catch("LETTER")
    .parse(new URL(request.url).searchParams.get("channel") ?? "LETTER");
  const templates = await loadTemplates(campaign.id);
  return {
    campaign: { id: campaign.id, name: campaign.name },
    channel,
    template: templates[channel],
    trustName: campaign.pkbConnection.label,
    joinBase: joinBase(campaign.pkbConnection.webBaseUrl, campaign.teamCode),
    canManage: hasPermission(session.user.role, "manage:campaign"),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  const campaign = await campaignOr404(params.campaignId);
  const parsed = templateFormSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return {
      errors: parsed.error.issues.map((i) => ({
        field: String(i.path[0] ?? ""),
        message: i.message,
      })),
    };
  }
  try {
    await saveTemplate(campaign.id, parsed.data, { actor, clientAddress });
  } catch (error) {
    if (error instanceof TemplateRejected) return { errors: error.problems };
    throw error;
  }
  return redirectWithToast(`/campaigns/${campaign.id}/templates?channel=${parsed.data.channel}`, {
    kind: "success",
    message: `Saved the ${CHANNEL_LABELS[parsed.data.channel].toLowerCase()} wording.`,
  });
}

const AREA =
  "mt-1 block w-full rounded-none border-2 border-nhs-black bg-white px-2 py-1.5 font-mono text-sm";

function Count({
  label,
  text,
}: {
  label: string;
  text: ReturnType<typeof renderSms>["counts"][0];
}) {
  return (
    <p className="mt-1 text-sm text-nhs-dark-grey" data-testid={`count-${label}`}>
      {text.units} characters · {text.encoding} · {text.segments} text
      {text.segments === 1 ? "" : "s"} charged
      {text.nonGsm.length > 0 ? ` · not in the basic text alphabet: ${text.nonGsm.join(" ")}` : ""}
    </p>
  );
}

export default function TemplatesPage() {
  const data = useLoaderData<typeof loader>();
  const serverErrors = useActionData<{ errors: Array<{ field?: string; message: string }> }>()
    ?.errors;
  const { campaign, channel, template, canManage } = data;
  const [subject, setSubject] = useState(template.subject ?? "");
  const [body, setBody] = useState(template.body);
  const [linkMessage, setLinkMessage] = useState(template.linkMessage ?? "");
  const current = {
    subject: subject || null,
    body,
    linkMessage: channel === "SMS" ? linkMessage : null,
  };
  const problems = templateProblems(channel, current);
  const values = {
    ...SAMPLE_VALUES,
    "trust name": data.trustName,
    "join link": joinLink(
      data.joinBase,
      SAMPLE_VALUES["invitation code"],
      SAMPLE_VALUES["access code"],
      channel === "EMAIL" ? "alex.morgan@example.com" : null,
    ),
  };
  const errors = serverErrors ?? [];
  return (
    <>
      <p className="mb-4 flex gap-6">
        <Link to={`/campaigns/${campaign.id}`}>Back to {campaign.name}</Link>
        <Link to={`/campaigns/${campaign.id}/delivery`}>Delivery</Link>
      </p>
      <PageHeading
        title="Invitation wording"
        lede="What each patient receives. Placeholders in double brackets are filled in for each patient; the preview uses made-up details."
      />
      <nav aria-label="Channel" className="mb-4">
        <ul className="flex gap-2">
          {CHANNELS.map((c) => (
            <li key={c}>
              <Link
                to={`?channel=${c}`}
                reloadDocument
                aria-current={c === channel ? "page" : undefined}
                className={`block rounded px-4 py-2 font-bold ${c === channel ? "bg-nhs-blue text-white" : "bg-white text-nhs-blue underline"}`}
              >
                {CHANNEL_LABELS[c]}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <ErrorSummary errors={errors} />
      <div className="grid gap-6 lg:grid-cols-2">
        <Panel className="mb-0">
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="channel" value={channel} />
            {channel !== "SMS" ? (
              <div className="mb-4">
                <label htmlFor="subject" className="block font-bold">
                  {channel === "LETTER" ? "Heading" : "Subject"}
                </label>
                <input
                  id="subject"
                  name="subject"
                  className={AREA}
                  value={subject}
                  onChange={(e) => setSubject(e.target.value)}
                  readOnly={!canManage}
                />
              </div>
            ) : null}
            <div className="mb-4">
              <label htmlFor="body" className="block font-bold">
                {channel === "SMS"
                  ? "First text: the codes"
                  : channel === "LETTER"
                    ? "Letter"
                    : "E-mail"}
              </label>
              <textarea
                id="body"
                name="body"
                rows={channel === "SMS" ? 5 : 16}
                className={AREA}
                value={body}
                onChange={(e) => setBody(e.target.value)}
                readOnly={!canManage}
              />
            </div>
            {channel === "SMS" ? (
              <div className="mb-4">
                <label htmlFor="linkMessage" className="block font-bold">
                  Second text: the link
                </label>
                <textarea
                  id="linkMessage"
                  name="linkMessage"
                  rows={3}
                  className={AREA}
                  value={linkMessage}
                  onChange={(e) => setLinkMessage(e.target.value)}
                  readOnly={!canManage}
                />
              </div>
            ) : null}
            {problems.length > 0 ? (
              <div className="mb-4 border-l-4 border-nhs-red pl-3" aria-live="polite">
                <p className="font-bold">This wording cannot be saved yet:</p>
                <ul className="list-disc pl-6">
                  {problems.map((p) => (
                    <li key={p.message}>{p.message}</li>
                  ))}
                </ul>
              </div>
            ) : null}
            {canManage ? <Button type="submit">Save wording</Button> : null}
          </Form>
          <details className="mt-4">
            <summary className="cursor-pointer font-bold">Placeholders you can use</summary>
            <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
              {Object.entries(PLACEHOLDERS).map(([name, description]) => (
                <div key={name} className="contents">
                  <dt className="font-mono">(({name}))</dt>
                  <dd>{description}</dd>
                </div>
              ))}
            </dl>
            <p className="mt-2">
              The date of birth is never printed or sent: the patient proves it to PKB.
            </p>
          </details>
        </Panel>
        <Panel className="mb-0">
          <h2 className="mb-3 text-xl font-bold">Preview</h2>
          <div aria-live="polite" data-testid="preview">
            {channel === "SMS"
              ? (() => {
                  const sms = renderSms(current, values);
                  return (
                    <ol className="space-y-4">
                      {sms.messages.map((message, i) => (
                        <li key={i}>
                          <p className="text-sm font-bold">Text {i + 1} of 2</p>
                          <p className="mt-1 max-w-sm whitespace-pre-wrap break-words rounded-2xl bg-nhs-pale-grey px-4 py-3">
                            {message}
                          </p>
                          <Count label={`sms-${i + 1}`} text={sms.counts[i]!} />
                        </li>
                      ))}
                    </ol>
                  );
                })()
              : channel === "EMAIL"
                ? (() => {
                    const email = renderEmail(current, values);
                    return (
                      <div className="border-2 border-nhs-pale-grey p-4">
                        <p>
                          <strong>Subject:</strong> {email.subject}
                        </p>
                        <hr className="my-3" />
                        <p className="whitespace-pre-wrap break-words">{email.body}</p>
                      </div>
                    );
                  })()
                : (() => {
                    const letter = renderLetter(current, values);
                    return (
                      <div className="border-2 border-nhs-pale-grey bg-white p-6 font-[Arial] text-sm">
                        <p className="text-right font-bold text-nhs-blue">{data.trustName}</p>
                        <p className="mt-4 whitespace-pre-line">
                          {"Alex Morgan\n1 High Street\nExampleton\nEX1 2AB"}
                        </p>
                        <p className="mt-4 text-lg font-bold">{letter.heading}</p>
                        <p className="mt-2 whitespace-pre-wrap break-words">{letter.body}</p>
                      </div>
                    );
                  })()}
          </div>
        </Panel>
      </div>
    </>
  );
}
