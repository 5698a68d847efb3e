import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { ConfirmButton } from "~/components/ui/confirm-button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { formErrorsFromZod, messagesFor, type FormError } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import {
  CampaignPageSchema,
  CHANNEL_LABELS,
  CONCURRENCY_OPTIONS,
  IDENTIFIER_KIND_LABELS,
  mappingFrom,
} from "~/modules/campaigns/campaign-forms.ts";
import { CampaignError, campaignPage } from "~/modules/campaigns/campaigns.server.ts";
import { BUCKET_LABELS, BUCKET_SLUGS } from "~/modules/campaigns/eligibility/bucket.ts";
import {
  changeConcurrency,
  checkEligibility,
  generateInvitationCodes,
  pauseResumeOrCancel,
  retryFailed,
} from "~/modules/campaigns/run.server.ts";
import { DELIMITER_LABELS, type Delimiter } from "~/modules/campaigns/import/delimiter.ts";
import { FIELD_LABELS, IMPORT_FIELDS } from "~/modules/campaigns/import/fields.ts";
import {
  confirmMapping,
  discardUpload,
  ImportError,
  importProgress,
} from "~/modules/campaigns/import/import.server.ts";
import { ENCODING_LABELS, type TextEncoding } from "~/modules/campaigns/import/sniff.ts";
import { CampaignTransitionError } from "~/modules/campaigns/lifecycle.server.ts";
import { CAMPAIGN_STATE_LABELS, canCampaign } from "~/modules/campaigns/lifecycle.ts";
import { RECIPIENT_STATE_LABELS } from "~/modules/campaigns/recipient-lifecycle.ts";
import { now } from "~/platform/clock.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";
import { trackingView } from "~/modules/campaigns/tracking/view.server.ts";
import { TrackingSection } from "./tracking-section.tsx";
import { receiveUpload } from "./upload.server.ts";

export const access = { loader: "read:campaign", action: "manage:campaign" } satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Campaign – PKB Desk" }];

const CampaignIdSchema = z.uuid();

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = CampaignIdSchema.safeParse(params.campaignId);
  if (!id.success) throw notFound();
  const page = await campaignPage(id.data, session.user.id);
  if (!page) throw notFound();
  const { campaign } = page;
  const at = now();
  return {
    canManage: hasPermission(session.user.role, "manage:campaign"),
    campaign: {
      id: campaign.id,
      name: campaign.name,
      state: campaign.state,
      stateLabel: CAMPAIGN_STATE_LABELS[campaign.state],
      pausedFrom: campaign.pausedFrom,
      channel: CHANNEL_LABELS[campaign.channel],
      identifierKind: IDENTIFIER_KIND_LABELS[campaign.identifierKind],
      teamCode: campaign.teamCode,
      concurrency: campaign.concurrency,
      created: formatUkDateTime(campaign.createdAt),
    },
    nextStep: page.nextStep,
    recipientCount: page.recipientCount,
    // Tracking once invitations exist (codes issued now, or in an earlier round).
    tracking:
      (page.states.TOKEN_ISSUED ?? 0) > 0 || campaign.state === "GENERATED"
        ? await trackingView(campaign.id)
        : null,
    states: Object.entries(page.states).map(([state, count]) => ({
      state,
      label: RECIPIENT_STATE_LABELS[state as keyof typeof RECIPIENT_STATE_LABELS],
      count,
    })),
    buckets: (Object.keys(BUCKET_LABELS) as Array<keyof typeof BUCKET_LABELS>)
      .filter((bucket) => page.buckets[bucket])
      .map((bucket) => ({
        slug: BUCKET_SLUGS[bucket],
        label: BUCKET_LABELS[bucket],
        count: page.buckets[bucket] ?? 0,
      })),
    progress: batchProgress(page.batches, campaign.state, at),
    actions: {
      check:
        canCampaign(campaign, "start-check") && !page.awaitingMapping && page.recipientCount > 0,
      generate: canCampaign(campaign, "start-generating") && (page.states.ELIGIBLE ?? 0) > 0,
      retry:
        canCampaign(campaign, "retry-failed") &&
        page.batches.some((row) => row.operation === "GENERATE_TOKENS" && row.state === "FAILED"),
      pause: canCampaign(campaign, "pause"),
      resume: canCampaign(campaign, "resume"),
      cancel: canCampaign(campaign, "cancel"),
      upload: campaign.state === "DRAFT" && !page.awaitingMapping,
    },
    awaitingMapping: page.awaitingMapping
      ? {
          id: page.awaitingMapping.id,
          fileName: page.awaitingMapping.originalFileName,
          headers: page.awaitingMapping.headers,
          encoding:
            ENCODING_LABELS[page.awaitingMapping.encoding as TextEncoding] ??
            page.awaitingMapping.encoding,
          delimiter: DELIMITER_LABELS[page.awaitingMapping.delimiter as Delimiter] ?? "comma",
          suggested: page.suggestedMapping ?? {},
        }
      : null,
    imports: page.imports
      .filter((item) => item.state !== "UPLOADED")
      .map((item) => ({
        id: item.id,
        fileName: item.originalFileName,
        state: item.state,
        rowsRead: item.rowsRead,
        rowsAccepted: item.rowsAccepted,
        rowsRejected: item.rowsRejected,
        duplicatesCollapsed: item.duplicatesCollapsed,
        rowsFlagged: item.rowsFlagged,
        failureMessage: item.failureMessage,
        uploaded: formatUkDateTime(item.createdAt),
        ...importProgress(item, at),
      })),
  };
}

/** Batches done out of all (split batches are replaced by their halves), with identifiers per op. */
function batchProgress(
  batches: Array<{
    operation: string;
    state: string;
    count: number;
    identifiers: number;
    firstCreatedAt: Date | null;
  }>,
  state: string,
  at: Date,
) {
  const operation =
    state === "CHECKING" ||
    (state === "PAUSED" && !batches.some((row) => row.operation === "GENERATE_TOKENS"))
      ? "STATUS_QUERY"
      : "GENERATE_TOKENS";
  const rows = batches.filter((row) => row.operation === operation && row.state !== "SPLIT");
  const total = rows.reduce((sum, row) => sum + row.identifiers, 0);
  const done = rows
    .filter((row) => row.state === "DONE" || row.state === "FAILED")
    .reduce((sum, row) => sum + row.identifiers, 0);
  const failed = rows
    .filter((row) => row.state === "FAILED")
    .reduce((sum, row) => sum + row.count, 0);
  const started = Math.min(...rows.map((row) => row.firstCreatedAt?.getTime() ?? at.getTime()));
  const seconds = Math.max(1, (at.getTime() - started) / 1000);
  const perSecond = done / seconds;
  const running = state === "CHECKING" || state === "GENERATING";
  return total === 0
    ? null
    : {
        label:
          operation === "STATUS_QUERY"
            ? running || done < total
              ? "Checking eligibility"
              : "Eligibility checked"
            : running || done < total
              ? "Generating invitation codes"
              : "Invitation codes generated",
        total,
        done,
        failedBatches: failed,
        // a rate means something only while the batches run (a finished run's decays to 0)
        perSecond: running ? Math.round(perSecond) : null,
        secondsLeft: running && perSecond > 0 ? Math.ceil((total - done) / perSecond) : null,
      };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const id = CampaignIdSchema.safeParse(params.campaignId);
  if ((request.headers.get("Content-Type") ?? "").startsWith("multipart/form-data")) {
    if (request.method !== "POST") throw new Response("Method Not Allowed", { status: 405 });
    const session = await requirePermission(request, access.action);
    if (!id.success) throw notFound();
    const page = await campaignPage(id.data, session.user.id);
    if (!page) throw notFound();
    const result = await receiveUpload(request, id.data, session.user.id);
    if ("error" in result) {
      return Response.json({ errors: [{ field: "file", message: result.error }] }, { status: 400 });
    }
    return redirectWithToast(`/campaigns/${id.data}#mapping`, {
      kind: "success",
      message: "File received. Check the columns below, then import.",
    });
  }
  const { form, actor, clientAddress } = await requireMutation(request, access.action);
  if (!id.success) throw notFound();
  const parsed = CampaignPageSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json({ errors: formErrorsFromZod(parsed.error) }, { status: 400 });
  }
  const context = { actor, clientAddress };
  const back = `/campaigns/${id.data}`;
  try {
    switch (parsed.data.intent) {
      case "map-columns":
        await confirmMapping(
          id.data,
          parsed.data.importId,
          mappingFrom(parsed.data),
          parsed.data.presetName || undefined,
          context,
        );
        return redirectWithToast(back, { kind: "success", message: "Importing the list." });
      case "discard-upload":
        await discardUpload(id.data, parsed.data.importId, context);
        return redirectWithToast(back, { kind: "success", message: "Upload discarded." });
      case "pause":
      case "resume":
      case "cancel":
        await pauseResumeOrCancel(id.data, parsed.data.intent, context);
        return redirectWithToast(back, {
          kind: "success",
          message: {
            pause: "Campaign paused.",
            resume: "Campaign resumed.",
            cancel: "Campaign cancelled.",
          }[parsed.data.intent],
        });
      case "start-check":
        await checkEligibility(id.data, context);
        return redirectWithToast(back, {
          kind: "success",
          message: "Checking each patient with PKB.",
        });
      case "start-generating":
        await generateInvitationCodes(id.data, context);
        return redirectWithToast(back, {
          kind: "success",
          message: "Generating invitation codes.",
        });
      case "set-concurrency":
        await changeConcurrency(id.data, parsed.data.concurrency, context);
        return redirectWithToast(back, {
          kind: "success",
          message: `PKB calls at once: ${parsed.data.concurrency}.`,
        });
      case "retry-failed": {
        const batches = await retryFailed(id.data, context);
        return redirectWithToast(back, {
          kind: "success",
          message: batches ? `Retrying ${batches} failed batches.` : "Nothing has failed.",
        });
      }
    }
  } catch (error) {
    if (
      error instanceof ImportError ||
      error instanceof CampaignTransitionError ||
      error instanceof CampaignError
    ) {
      return Response.json({ errors: [{ message: error.message }] }, { status: 400 });
    }
    throw error;
  }
}

function useAutoRefresh(active: boolean) {
  const { revalidate, state } = useRevalidator();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (state === "idle") revalidate();
    }, 1000);
    return () => clearInterval(timer);
  }, [active, revalidate, state]);
}

export default function CampaignPage() {
  const data = useLoaderData<typeof loader>();
  const errors = useActionData<{ errors: FormError[] }>()?.errors ?? [];
  const { campaign, canManage, actions } = data;
  const running = data.imports.find((item) => item.state === "RUNNING" || item.state === "QUEUED");
  useAutoRefresh(["IMPORTING", "CHECKING", "GENERATING"].includes(campaign.state));
  return (
    <>
      <p className="mb-4">
        <Link to="/campaigns">Back to campaigns</Link>
      </p>
      <PageHeading
        title={campaign.name}
        lede={`${campaign.identifierKind} · ${campaign.channel}${campaign.teamCode ? ` · team code ${campaign.teamCode}` : ""}`}
        actions={
          <>
            <Link to={`/campaigns/${campaign.id}/templates`}>Invitation wording</Link>
            <Link to={`/campaigns/${campaign.id}/delivery`}>Delivery</Link>
            <Link to={`/campaigns/${campaign.id}/report`} className="font-bold">
              Campaign report
            </Link>
          </>
        }
      />
      <ErrorSummary errors={errors} />
      <section
        aria-labelledby="where-heading"
        className="mb-6 border-l-8 border-nhs-blue bg-white p-6 shadow-sm"
      >
        <h2 id="where-heading" className="text-xl font-bold">
          Where this campaign is: <span data-testid="campaign-state">{campaign.stateLabel}</span>
        </h2>
        <p className="mt-2 text-lg">
          <strong>What to do next:</strong> <span data-testid="next-step">{data.nextStep}</span>
        </p>
        {canManage &&
        (actions.check ||
          actions.generate ||
          actions.retry ||
          actions.pause ||
          actions.resume ||
          actions.cancel) ? (
          <div className="mt-4 flex flex-wrap gap-3">
            {actions.check ? (
              <IntentButton
                intent="start-check"
                label={
                  data.buckets.length ? "Check eligibility again" : "Check eligibility with PKB"
                }
                variant={actions.generate ? "secondary" : "primary"}
              />
            ) : null}
            {actions.generate ? (
              <IntentButton intent="start-generating" label="Generate invitation codes" />
            ) : null}
            {actions.retry ? <IntentButton intent="retry-failed" label="Retry failed" /> : null}
            {actions.pause ? (
              <IntentButton intent="pause" label="Pause" variant="secondary" />
            ) : null}
            {actions.resume ? <IntentButton intent="resume" label="Resume" /> : null}
            {actions.cancel ? (
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="cancel" />
                <ConfirmButton type="submit" confirmLabel="Cancel the whole campaign?">
                  Cancel campaign
                </ConfirmButton>
              </Form>
            ) : null}
          </div>
        ) : null}
      </section>

      {canManage && campaign.state !== "CANCELLED" ? (
        <SpeedForm
          concurrency={campaign.concurrency}
          running={campaign.state === "CHECKING" || campaign.state === "GENERATING"}
        />
      ) : null}

      {running ? <ImportProgress item={running} /> : null}
      {data.progress ? <BatchProgress progress={data.progress} /> : null}

      {canManage && actions.upload ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Upload a patient list</h2>
          <Form method="post" encType="multipart/form-data">
            <CsrfInput />
            <div
              className={`mb-5 ${messagesFor(errors, "file").length ? "border-l-4 border-nhs-red pl-3" : ""}`}
            >
              <label htmlFor="file" className="block font-bold">
                Patient list (CSV)
              </label>
              <p id="file-hint" className="text-nhs-dark-grey">
                A CSV file with a header row, separated by commas, semicolons or tabs, in UTF-8,
                UTF-16 or Windows-1252. Excel workbooks: save as “CSV UTF-8” first.
              </p>
              {messagesFor(errors, "file").length ? (
                <p id="file-error" className="font-bold text-nhs-red">
                  <span className="sr-only">Error: </span>
                  {messagesFor(errors, "file").join(". ")}
                </p>
              ) : null}
              <input
                id="file"
                name="file"
                type="file"
                accept=".csv,.txt,text/csv"
                required
                aria-describedby={
                  messagesFor(errors, "file").length ? "file-hint file-error" : "file-hint"
                }
                className="mt-2 block"
              />
            </div>
            <Button type="submit">Upload</Button>
          </Form>
        </Panel>
      ) : null}

      {canManage && data.awaitingMapping ? (
        <MappingForm upload={data.awaitingMapping} errors={errors} />
      ) : null}

      <Panel>
        <h2 className="mb-4 text-xl font-bold">Patients</h2>
        {data.recipientCount === 0 ? (
          <p>No patients yet.</p>
        ) : (
          <table className="w-full max-w-xl text-left">
            <caption className="sr-only">Patients in this campaign by state</caption>
            <HeaderRow>
              <Th>State</Th>
              <Th numeric>Patients</Th>
            </HeaderRow>
            <tbody>
              {data.states.map((row) => (
                <tr key={row.state} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">
                    {row.state === "NEEDS_REVIEW" ? (
                      <Link to={`/campaigns/${campaign.id}/review`}>{row.label}</Link>
                    ) : (
                      row.label
                    )}
                  </td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {row.count.toLocaleString("en-GB")}
                  </td>
                </tr>
              ))}
              <tr>
                <td className="py-2 pr-4 font-bold">Total</td>
                <td className="py-2 pr-4 text-right font-bold tabular-nums">
                  {data.recipientCount.toLocaleString("en-GB")}
                </td>
              </tr>
            </tbody>
          </table>
        )}
      </Panel>

      {data.tracking ? (
        <TrackingSection campaignId={campaign.id} view={data.tracking} canManage={canManage} />
      ) : null}

      {data.buckets.length > 0 ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Eligibility</h2>
          <table className="w-full max-w-2xl text-left">
            <caption className="sr-only">Patients by what PKB said about them</caption>
            <HeaderRow>
              <Th>What PKB said</Th>
              <Th numeric>Patients</Th>
            </HeaderRow>
            <tbody>
              {data.buckets.map((bucket) => (
                <tr key={bucket.slug} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">
                    <Link to={`/campaigns/${campaign.id}/buckets/${bucket.slug}`}>
                      {bucket.label}
                    </Link>
                  </td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {bucket.count.toLocaleString("en-GB")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      ) : null}

      {data.imports.length > 0 ? (
        <Panel>
          <h2 className="mb-4 text-xl font-bold">Lists imported</h2>
          <table className="w-full text-left">
            <caption className="sr-only">Uploaded lists, newest first</caption>
            <HeaderRow>
              <Th>File</Th>
              <Th>Result</Th>
              <Th numeric>Rows</Th>
              <Th numeric>Kept</Th>
              <Th numeric>With problems</Th>
              <Th numeric>Duplicates</Th>
              <Th numeric>For review</Th>
            </HeaderRow>
            <tbody>
              {data.imports.map((item) => (
                <tr key={item.id} className="border-b border-nhs-pale-grey align-top">
                  <td className="py-2 pr-4">
                    {item.fileName}
                    <div className="text-sm text-nhs-dark-grey">{item.uploaded}</div>
                  </td>
                  <td className="py-2 pr-4">
                    {importStateLabel(item.state)}
                    {item.failureMessage ? (
                      <div className="text-sm">{item.failureMessage}</div>
                    ) : null}
                  </td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {item.rowsRead.toLocaleString("en-GB")}
                  </td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {item.rowsAccepted.toLocaleString("en-GB")}
                  </td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {item.rowsRejected.toLocaleString("en-GB")}
                    {item.rowsRejected > 0 ? (
                      <div>
                        <a
                          href={`/campaigns/${campaign.id}/imports/${item.id}/errors.csv`}
                          download
                        >
                          Error report<span className="sr-only"> for {item.fileName}</span> (CSV)
                        </a>
                      </div>
                    ) : null}
                  </td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {item.duplicatesCollapsed.toLocaleString("en-GB")}
                  </td>
                  <td className="py-2 pr-4 text-right tabular-nums">
                    {item.rowsFlagged.toLocaleString("en-GB")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      ) : null}
    </>
  );
}

function importStateLabel(state: string): string {
  switch (state) {
    case "QUEUED":
      return "Waiting to start";
    case "RUNNING":
      return "Importing";
    case "DONE":
      return "Imported";
    case "FAILED":
      return "Stopped";
    default:
      return state;
  }
}

function IntentButton({
  intent,
  label,
  variant = "primary",
}: {
  intent: string;
  label: string;
  variant?: "primary" | "secondary";
}) {
  return (
    <Form method="post">
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      <Button type="submit" variant={variant}>
        {label}
      </Button>
    </Form>
  );
}

function ImportProgress({
  item,
}: {
  item: { fileName: string; rowsRead: number; rowsPerSecond: number; state: string };
}) {
  return (
    <Panel>
      <h2 className="mb-2 text-xl font-bold">Importing {item.fileName}</h2>
      <label htmlFor="import-progress" className="block">
        {item.state === "QUEUED"
          ? "Waiting for a worker to start the import…"
          : `${item.rowsRead.toLocaleString("en-GB")} rows read · ${item.rowsPerSecond.toLocaleString("en-GB")} rows per second`}
      </label>
      {/* The size of a CSV in rows is unknown until it is read: an indeterminate bar, live counts. */}
      <progress
        id="import-progress"
        className="mt-2 h-4 w-full"
        aria-valuetext={`${item.rowsRead} rows read`}
      />
    </Panel>
  );
}

function BatchProgress({
  progress,
}: {
  progress: {
    label: string;
    total: number;
    done: number;
    failedBatches: number;
    perSecond: number | null;
    secondsLeft: number | null;
  };
}) {
  const left =
    progress.secondsLeft === null
      ? ""
      : progress.secondsLeft < 90
        ? ` · about ${progress.secondsLeft} seconds left`
        : ` · about ${Math.round(progress.secondsLeft / 60)} minutes left`;
  return (
    <Panel>
      <h2 className="mb-2 text-xl font-bold">{progress.label}</h2>
      <label htmlFor="batch-progress" className="block" data-testid="batch-progress-text">
        {progress.done.toLocaleString("en-GB")} of {progress.total.toLocaleString("en-GB")} patients
        {progress.perSecond === null
          ? ""
          : ` · ${progress.perSecond.toLocaleString("en-GB")} per second`}
        {left}
        {progress.failedBatches > 0 ? ` · ${progress.failedBatches} batches failed` : ""}
      </label>
      <progress
        id="batch-progress"
        className="mt-2 h-4 w-full"
        max={progress.total}
        value={progress.done}
      />
    </Panel>
  );
}

function MappingForm({
  upload,
  errors,
}: {
  upload: {
    id: string;
    fileName: string;
    headers: string[];
    encoding: string;
    delimiter: string;
    suggested: Partial<Record<string, string>>;
  };
  errors: FormError[];
}) {
  const options = [
    { value: "", label: "Not in this list" },
    ...upload.headers.map((header) => ({ value: header, label: header })),
  ];
  return (
    <Panel>
      <h2 id="mapping" className="mb-2 text-xl font-bold">
        Choose the columns of {upload.fileName}
      </h2>
      <p className="mb-4 text-nhs-dark-grey">
        Read as {upload.encoding}, columns separated by {upload.delimiter}s. Only the patient
        identifier is required.
      </p>
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="map-columns" />
        <input type="hidden" name="importId" value={upload.id} />
        {IMPORT_FIELDS.map((field) => (
          <SelectField
            key={field}
            id={field}
            name={field}
            label={FIELD_LABELS[field]}
            options={options}
            defaultValue={upload.suggested[field] ?? ""}
            errors={messagesFor(errors, field)}
          />
        ))}
        <TextField
          id="presetName"
          name="presetName"
          label="Remember these columns as (optional)"
          hint="Your last choice is always remembered; name it to keep it alongside others."
          errors={messagesFor(errors, "presetName")}
        />
        <div className="flex flex-wrap gap-3">
          <Button type="submit">Import the list</Button>
        </div>
      </Form>
      <Form method="post" className="mt-3">
        <CsrfInput />
        <input type="hidden" name="intent" value="discard-upload" />
        <input type="hidden" name="importId" value={upload.id} />
        <Button type="submit" variant="link">
          Discard this upload
        </Button>
      </Form>
    </Panel>
  );
}

/** How many PKB calls the campaign keeps in flight; changeable while a step runs. */
function SpeedForm({ concurrency, running }: { concurrency: number; running: boolean }) {
  return (
    <details className="mb-6 bg-white p-4 shadow-sm">
      <summary className="cursor-pointer font-bold text-nhs-blue underline">
        PKB calls at once: <span data-testid="concurrency">{concurrency}</span>
      </summary>
      <Form method="post" className="mt-4 flex flex-wrap items-end gap-4">
        <CsrfInput />
        <input type="hidden" name="intent" value="set-concurrency" />
        <SelectField
          id="concurrency"
          name="concurrency"
          label="PKB calls at once"
          hint={
            running
              ? "Raising it starts the extra calls now; lowering it takes effect within half a minute."
              : "Used by the next eligibility check or code generation."
          }
          options={CONCURRENCY_OPTIONS}
          defaultValue={String(concurrency)}
        />
        <Button type="submit" variant="secondary" className="mb-5">
          Change
        </Button>
      </Form>
    </details>
  );
}
