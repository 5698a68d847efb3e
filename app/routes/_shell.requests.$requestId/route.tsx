import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import type { ReactNode } from "react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary, SelectField, TextField } from "~/components/ui/field.tsx";
import { messagesFor, type FormError } from "~/components/ui/form-errors.ts";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import {
  availableIntents,
  INTENT_LABELS,
  NOTE_MAX,
  PAS_REFERENCE_MAX,
  REJECTION_REASON_MAX,
  REQUEST_STATUS_LABELS,
  type RequestIntent,
} from "~/modules/requests/lifecycle.ts";
import {
  addRequestNote,
  applyRequestAction,
  PasChangeSchema,
  RequestActionError,
  type RequestAction,
} from "~/modules/requests/lifecycle.server.ts";
import {
  canPickAppointment,
  MATCH_STATE_HINTS,
  MATCH_STATE_LABELS,
} from "~/modules/requests/match-state.ts";
import { viewRequest } from "~/modules/requests/requests.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = {
  loader: "read:request:team",
  action: "update:request:team",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Appointment request – PKB Desk" }];

const RequestIdSchema = z.uuid();

const STATUS_WORDS: Record<string, string> = {
  booked: "Booked",
  pending: "Booked, request pending",
  cancelled: "Cancelled",
  noshow: "Did not attend",
  fulfilled: "Attended",
};

function appointmentView(a: {
  start: string | null;
  status: string | null;
  subject: string | null;
  specialtyCode: string | null;
  specialtyDisplay: string | null;
  location: string | null;
  serviceType: string | null;
}) {
  return {
    start: a.start ? formatUkDateTime(a.start) : "Unknown time",
    status: a.status ? (STATUS_WORDS[a.status] ?? a.status) : "Unknown",
    subject: a.subject ?? "No subject",
    specialty: a.specialtyDisplay
      ? `${a.specialtyDisplay}${a.specialtyCode ? ` (${a.specialtyCode})` : ""}`
      : "—",
    location: a.location || "—",
    serviceType: a.serviceType || "—",
  };
}

function changeWords(change: { start: string | null; status: string | null }): string {
  const status = change.status ? (STATUS_WORDS[change.status] ?? change.status) : "unknown status";
  return change.start ? `${formatUkDateTime(change.start)} (${status})` : status;
}

/** One history row in words; detail holds ids and the words staff typed. */
function eventWords(
  kind: string,
  detail: Record<string, unknown>,
  names: { teams: Map<string, string> },
): string | null {
  switch (kind) {
    case "routed":
    case "rerouted": {
      const team = typeof detail.teamId === "string" ? names.teams.get(detail.teamId) : null;
      return team
        ? `To ${team}${detail.assigneeId ? " and its named person" : ""}`
        : "No rule fitted: the unrouted queue";
    }
    case "assign":
      return typeof detail.assigneeLabel === "string" ? `To ${detail.assigneeLabel}` : null;
    case "action":
      return typeof detail.pasReference === "string"
        ? `PAS reference ${detail.pasReference}`
        : null;
    case "reject":
      return typeof detail.reason === "string" ? `Reason: ${detail.reason}` : null;
    case "resolved-in-pas": {
      const change = PasChangeSchema.safeParse(detail.change);
      return change.success
        ? `PKB now shows the appointment ${change.data.to.status === "cancelled" ? "cancelled" : `at ${changeWords(change.data.to)}`}; it was ${changeWords(change.data.from)}`
        : null;
    }
    case "expired":
      return "The appointment time passed with the request still open";
    case "reopen":
      return typeof detail.closedAs === "string" && detail.closedAs in REQUEST_STATUS_LABELS
        ? `Was ${REQUEST_STATUS_LABELS[detail.closedAs as keyof typeof REQUEST_STATUS_LABELS]}`
        : null;
    default:
      return null;
  }
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = RequestIdSchema.safeParse(params.requestId);
  if (!id.success) throw notFound();
  const found = await viewRequest(session.user, id.data, {
    actor: { id: session.user.id, label: session.user.email },
    clientAddress: clientAddress(request),
  });
  if (!found) throw notFound();
  const intents = availableIntents(found, session.user).filter(
    (intent) =>
      (intent !== "rematch" || found.candidates.length > 0) &&
      (intent !== "assign" || found.assignable.some((m) => m.userId !== found.assigneeId)),
  );
  const teams = new Map<string, string>(found.assignable.map((m) => [m.teamId, m.teamName]));
  if (found.teamId && found.team) teams.set(found.teamId, found.team.name);
  const change = PasChangeSchema.safeParse(found.pasChange);
  const others = found.candidates.filter((c) => c.id !== found.matchedAppointmentId);
  return {
    id: found.id,
    version: found.version,
    action: found.action === "CANCEL" ? "cancel" : "change",
    receivedAt: formatUkDateTime(found.receivedAt),
    rawSubject: found.rawSubject,
    patientNote: found.patientNote,
    patient: {
      name: found.patientDisplayName ?? "Not known (PKB did not show the record)",
      identifierLabel: found.identifierLabel,
      identifier: found.identifierFormatted ?? "Not known",
    },
    quoted: found.quotedStart ? formatUkDateTime(found.quotedStart) : null,
    quotedSubject: found.quotedSubject,
    work: {
      status: found.status,
      statusLabel: REQUEST_STATUS_LABELS[found.status],
      queue: found.team?.name ?? "Unrouted (no rule fitted)",
      assignee: found.assignee?.displayName ?? null,
      isMine: found.assigneeId === session.user.id,
      rule: found.routedByRule?.name ?? null,
      due: found.dueAt ? formatUkDateTime(found.dueAt) : null,
      overdue: Boolean(
        found.dueAt &&
        found.dueAt < new Date() &&
        ["NEW", "ASSIGNED", "EXPIRED"].includes(found.status),
      ),
      closed:
        found.closedAt && ["ACTIONED", "REJECTED", "RESOLVED_IN_PAS"].includes(found.status)
          ? `${formatUkDateTime(found.closedAt)}${found.closedByName ? ` by ${found.closedByName}` : " by the sync"}`
          : null,
      pasReference: found.status === "ACTIONED" ? found.pasReference : null,
      rejectionReason: found.status === "REJECTED" ? found.rejectionReason : null,
      pasChange:
        found.status === "RESOLVED_IN_PAS" && change.success
          ? {
              from: changeWords(change.data.from),
              to: change.data.to.status === "cancelled" ? "Cancelled" : changeWords(change.data.to),
            }
          : null,
      expired:
        found.status === "EXPIRED" && found.expiredAt ? formatUkDateTime(found.expiredAt) : null,
    },
    state: found.matchState,
    stateLabel: MATCH_STATE_LABELS[found.matchState],
    stateHint: MATCH_STATE_HINTS[found.matchState],
    reason: found.matchReason,
    confidence: Math.round(found.matchConfidence * 100),
    matched: found.matchedAppointmentId
      ? appointmentView({
          start: found.matchedStart?.toISOString() ?? null,
          status: found.matchedStatus,
          subject: found.matchedSubject,
          specialtyCode: found.matchedSpecialtyCode,
          specialtyDisplay: found.matchedSpecialtyDisplay,
          location: found.matchedLocation,
          serviceType: found.matchedServiceType,
        })
      : null,
    matchedBy:
      found.matchedByName && found.matchedAt
        ? `${found.matchedByName}, ${formatUkDateTime(found.matchedAt)}`
        : null,
    needsPick: canPickAppointment(found.matchState),
    intents,
    canNote: hasPermission(session.user.role, "update:request:team"),
    candidates: found.candidates.map((c) => ({ id: c.id, ...appointmentView(c) })),
    others: others.map((c) => ({ id: c.id, ...appointmentView(c) })),
    assignable: found.assignable
      .filter((m) => m.userId !== found.assigneeId)
      .map((m) => ({
        value: `${m.teamId}:${m.userId}`,
        label: found.teamId ? m.displayName : `${m.displayName} (${m.teamName})`,
      })),
    notes: found.notes.map((n) => ({
      id: n.id,
      author: n.authorLabel,
      at: formatUkDateTime(n.createdAt),
      body: n.body,
    })),
    history: found.events.map((e) => ({
      id: e.id,
      at: formatUkDateTime(e.createdAt),
      who: e.actorId ? e.actorLabel : "PKB Desk (automatic)",
      what: e.kind in INTENT_LABELS ? INTENT_LABELS[e.kind as keyof typeof INTENT_LABELS] : e.kind,
      move:
        e.fromStatus && e.toStatus && e.fromStatus !== e.toStatus
          ? `${REQUEST_STATUS_LABELS[e.fromStatus]} → ${REQUEST_STATUS_LABELS[e.toStatus]}`
          : null,
      detail: eventWords(e.kind, (e.detail ?? {}) as Record<string, unknown>, { teams }),
    })),
  };
}

const version = z.coerce.number().int().min(0);

/** Each form on the page, told apart by `intent`. */
const ActionSchema = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("assign"),
    version,
    assignee: z
      .string({ error: "Choose who to assign it to." })
      .regex(/^[0-9a-f-]{36}:[0-9a-f-]{36}$/, { error: "Choose who to assign it to." }),
  }),
  z.object({ intent: z.literal("claim"), version }),
  z.object({ intent: z.literal("release"), version }),
  z.object({
    intent: z.literal("action"),
    version,
    pasReference: z
      .string({ error: "Enter the PAS reference." })
      .trim()
      .min(1, { error: "Enter the PAS reference." })
      .max(PAS_REFERENCE_MAX, {
        error: `The PAS reference must be ${PAS_REFERENCE_MAX} characters or fewer.`,
      }),
  }),
  z.object({
    intent: z.literal("reject"),
    version,
    reason: z
      .string({ error: "Enter why the request is rejected." })
      .trim()
      .min(1, { error: "Enter why the request is rejected." })
      .max(REJECTION_REASON_MAX, {
        error: `The reason must be ${REJECTION_REASON_MAX} characters or fewer.`,
      }),
  }),
  z.object({ intent: z.literal("reopen"), version }),
  z.object({
    intent: z.literal("rematch"),
    version,
    appointmentId: z
      .string({ error: "Choose the appointment this request is about." })
      .min(1, { error: "Choose the appointment this request is about." }),
  }),
  z.object({
    intent: z.literal("note"),
    body: z
      .string({ error: "Write the note." })
      .trim()
      .min(1, { error: "Write the note." })
      .max(NOTE_MAX, { error: `A note must be ${NOTE_MAX} characters or fewer.` }),
  }),
]);
type ActionInput = z.infer<typeof ActionSchema>;

/** The field each intent's errors belong to (the error summary links to it). */
const FIELD_OF: Record<ActionInput["intent"], string> = {
  assign: "assignee",
  claim: "work-actions",
  release: "work-actions",
  action: "pasReference",
  reject: "reason",
  reopen: "work-actions",
  rematch: "appointment",
  note: "note-body",
};

const DONE: Record<ActionInput["intent"], string> = {
  assign: "Request assigned.",
  claim: "You have claimed this request.",
  release: "Request released back to the team's queue.",
  action: "Request marked actioned.",
  reject: "Request rejected.",
  reopen: "Request reopened.",
  rematch: "Appointment matched to the request.",
  note: "Note added.",
};

type ActionData = { errors: FormError[] };

export async function action({ request, params }: ActionFunctionArgs) {
  const { form, clientAddress: address, session } = await requireMutation(request, access.action);
  const id = RequestIdSchema.safeParse(params.requestId);
  if (!id.success) throw notFound();
  const submission = parseWithZod(form, { schema: ActionSchema });
  if (submission.status !== "success") {
    const intent = String(form.get("intent") ?? "");
    const field = intent in FIELD_OF ? FIELD_OF[intent as ActionInput["intent"]] : undefined;
    const errors = Object.entries(submission.error ?? {}).flatMap(([name, messages]) =>
      (messages ?? []).map((message) => ({
        field: name === "version" || name === "intent" ? field : (field ?? name),
        message:
          name === "version" || name === "intent"
            ? "That did not work: reload the page and try again."
            : message,
      })),
    );
    return Response.json({ errors } satisfies ActionData, { status: 400 });
  }
  const input = submission.value;
  const db = await prisma();
  const actor = {
    ...session.user,
    label: session.user.email,
    name: session.user.displayName,
    clientAddress: address,
  };
  try {
    if (input.intent === "note") {
      await addRequestNote(db, actor, id.data, input.body);
    } else {
      await applyRequestAction(db, actor, {
        requestIds: [id.data],
        action: toAction(input),
        versions: { [id.data]: input.version },
      });
    }
  } catch (error) {
    if (error instanceof RequestActionError) {
      if (error.code === "not-found") throw notFound();
      return Response.json(
        {
          errors: [{ field: FIELD_OF[input.intent], message: error.message }],
        } satisfies ActionData,
        { status: error.code === "conflict" ? 409 : 400 },
      );
    }
    throw error;
  }
  return redirectWithToast(`/requests/${id.data}`, {
    kind: "success",
    message: DONE[input.intent],
  });
}

function toAction(input: Exclude<ActionInput, { intent: "note" }>): RequestAction {
  switch (input.intent) {
    case "assign": {
      const [teamId, assigneeId] = input.assignee.split(":") as [string, string];
      return { intent: "assign", assigneeId, teamId };
    }
    case "action":
      return { intent: "action", pasReference: input.pasReference };
    case "reject":
      return { intent: "reject", reason: input.reason };
    case "rematch":
      return { intent: "rematch", appointmentId: input.appointmentId };
    default:
      return { intent: input.intent };
  }
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="border-b border-nhs-pale-grey py-2 sm:grid sm:grid-cols-3 sm:gap-4">
      <dt className="font-bold">{label}</dt>
      <dd className="sm:col-span-2">{children}</dd>
    </div>
  );
}

function TextArea({
  id,
  name,
  label,
  hint,
  errors,
  maxLength,
}: {
  id: string;
  name: string;
  label: string;
  hint?: string;
  errors: string[];
  maxLength: number;
}) {
  const describedBy = [hint ? `${id}-hint` : null, errors.length ? `${id}-error` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={`mb-4 ${errors.length ? "border-l-4 border-nhs-red pl-3" : ""}`}>
      <label htmlFor={id} className="block font-bold">
        {label}
      </label>
      {hint ? (
        <p id={`${id}-hint`} className="text-nhs-dark-grey">
          {hint}
        </p>
      ) : null}
      {errors.length ? (
        <p id={`${id}-error`} className="font-bold text-nhs-red">
          <span className="sr-only">Error: </span>
          {errors.join(". ")}
        </p>
      ) : null}
      <textarea
        id={id}
        name={name}
        rows={3}
        maxLength={maxLength}
        aria-describedby={describedBy || undefined}
        aria-invalid={errors.length ? true : undefined}
        className={`mt-1 block w-full max-w-xl rounded-none border-2 bg-white px-2 py-1.5 text-base ${errors.length ? "border-nhs-red" : "border-nhs-black"}`}
      />
    </div>
  );
}

function IntentForm({
  intent,
  version,
  children,
}: {
  intent: RequestIntent | "note";
  version: number;
  children: ReactNode;
}) {
  return (
    <Form method="post" noValidate className="mb-4">
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="version" value={version} />
      {children}
    </Form>
  );
}

export default function RequestDetail() {
  const data = useLoaderData<typeof loader>();
  const errors = useActionData<ActionData>()?.errors ?? [];
  const fieldErrors = (field: string) => messagesFor(errors, field);
  const can = (intent: RequestIntent) => data.intents.includes(intent);
  const work = data.work;
  const pickOpen = data.needsPick && can("rematch");
  return (
    <>
      <p className="mb-4">
        <Link to="/requests">Back to requests</Link>
      </p>
      <PageHeading
        title={`Request to ${data.action} an appointment`}
        lede={`Received ${data.receivedAt} (UK time). Status: ${work.statusLabel}.`}
      />
      <ErrorSummary errors={errors} />
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Work on this request</h2>
        {work.expired ? (
          <p className="mb-3 border-l-4 border-nhs-warm-yellow pl-3 font-bold">
            The appointment time passed on {work.expired} with this request still open. Check PAS
            and action or reject it.
          </p>
        ) : null}
        <dl>
          <Row label="Status">{work.statusLabel}</Row>
          <Row label="Queue">
            {work.queue}
            {work.rule ? ` — by the rule “${work.rule}”` : ""}
          </Row>
          <Row label="Assigned to">
            {work.assignee ? `${work.assignee}${work.isMine ? " (you)" : ""}` : "Nobody yet"}
          </Row>
          {work.due ? (
            <Row label="Due">
              {work.due} (UK time){work.overdue ? " — overdue" : ""}
            </Row>
          ) : null}
          {work.closed ? <Row label="Closed">{work.closed}</Row> : null}
          {work.pasReference ? <Row label="PAS reference">{work.pasReference}</Row> : null}
          {work.rejectionReason ? (
            <Row label="Reason rejected">
              <p className="whitespace-pre-wrap">{work.rejectionReason}</p>
            </Row>
          ) : null}
          {work.pasChange ? (
            <Row label="Change seen in PKB">
              Was {work.pasChange.from}; now {work.pasChange.to}
            </Row>
          ) : null}
        </dl>
        {/* Keyed on the version: after a change, the forms start empty again. */}
        <div id="work-actions" tabIndex={-1} className="mt-4" key={data.version}>
          {data.intents.filter((i) => i !== "rematch").length === 0 ? (
            <p className="text-nhs-dark-grey">
              {work.assignee && !work.isMine
                ? `${work.assignee} is working this request.`
                : "Nothing to do here now."}
            </p>
          ) : null}
          <div className="flex flex-wrap gap-4">
            {can("claim") ? (
              <IntentForm intent="claim" version={data.version}>
                <Button>Claim</Button>
              </IntentForm>
            ) : null}
            {can("release") ? (
              <IntentForm intent="release" version={data.version}>
                <Button variant="secondary">Release to the queue</Button>
              </IntentForm>
            ) : null}
            {can("reopen") ? (
              <IntentForm intent="reopen" version={data.version}>
                <Button variant="secondary">Reopen</Button>
              </IntentForm>
            ) : null}
          </div>
          {can("assign") ? (
            <IntentForm intent="assign" version={data.version}>
              <div className="flex flex-wrap items-end gap-4">
                <div className="min-w-72">
                  <SelectField
                    id="assignee"
                    name="assignee"
                    label="Assign to"
                    errors={fieldErrors("assignee")}
                    options={[{ value: "", label: "Choose a person" }, ...data.assignable]}
                  />
                </div>
                <Button variant="secondary" className="mb-5">
                  Assign
                </Button>
              </div>
            </IntentForm>
          ) : null}
          {can("action") ? (
            <IntentForm intent="action" version={data.version}>
              <div className="flex flex-wrap items-end gap-4">
                <div className="min-w-72">
                  <TextField
                    id="pasReference"
                    name="pasReference"
                    label="PAS reference"
                    hint="The reference of the change you made in PAS."
                    maxLength={PAS_REFERENCE_MAX}
                    autoComplete="off"
                    errors={fieldErrors("pasReference")}
                  />
                </div>
                <Button className="mb-5">Mark actioned</Button>
              </div>
            </IntentForm>
          ) : null}
          {can("reject") ? (
            <IntentForm intent="reject" version={data.version}>
              <TextArea
                id="reason"
                name="reason"
                label="Reason for rejecting"
                hint="Staff see this; the patient does not."
                maxLength={REJECTION_REASON_MAX}
                errors={fieldErrors("reason")}
              />
              <Button variant="warning">Reject</Button>
            </IntentForm>
          ) : null}
        </div>
      </Panel>
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Patient and message</h2>
        <dl>
          <Row label="Patient">{data.patient.name}</Row>
          <Row label={data.patient.identifierLabel}>{data.patient.identifier}</Row>
          <Row label="Appointment quoted">
            {data.quoted ? `${data.quoted} (UK time)` : "The date or time could not be read"}
            {data.quotedSubject ? `, ${data.quotedSubject}` : ""}
          </Row>
          <Row label="Subject as sent">{data.rawSubject || "(no subject)"}</Row>
          <Row label="Patient's note">
            <p className="whitespace-pre-wrap">{data.patientNote || "(no note)"}</p>
          </Row>
        </dl>
      </Panel>
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Match: {data.stateLabel}</h2>
        <p className="mb-2 text-nhs-dark-grey">{data.stateHint}</p>
        <dl>
          <Row label="Why">{data.reason}</Row>
          <Row label="Confidence">{data.confidence}%</Row>
          {data.matchedBy ? <Row label="Matched by">{data.matchedBy}</Row> : null}
        </dl>
        {data.matched ? (
          <>
            <h3 className="mb-2 mt-4 text-lg font-bold">Matched appointment</h3>
            <dl>
              <Row label="Starts">{data.matched.start} (UK time)</Row>
              <Row label="Subject">{data.matched.subject}</Row>
              <Row label="Specialty">{data.matched.specialty}</Row>
              <Row label="Clinic or location">{data.matched.location}</Row>
              <Row label="Service type">{data.matched.serviceType}</Row>
              <Row label="Status in PKB">{data.matched.status}</Row>
            </dl>
          </>
        ) : null}
        {data.needsPick && data.candidates.length === 0 ? (
          <p className="mt-4">
            PKB returned no appointments for this patient. Look the appointment up in PAS.
          </p>
        ) : null}
        {can("rematch") ? (
          pickOpen ? (
            <AppointmentPicker data={data} errors={fieldErrors("appointment")} />
          ) : (
            <details className="mt-4">
              <summary className="cursor-pointer font-bold text-nhs-blue underline">
                The match is wrong: choose another appointment
              </summary>
              <AppointmentPicker data={data} errors={fieldErrors("appointment")} />
            </details>
          )
        ) : null}
      </Panel>
      <Panel>
        <h2 className="mb-2 text-xl font-bold">The patient&apos;s other appointments</h2>
        <p className="mb-2 text-nhs-dark-grey">As PKB listed them when the request arrived.</p>
        {data.others.length === 0 ? (
          <p>None.</p>
        ) : (
          <table className="w-full text-left">
            <caption className="sr-only">The patient&apos;s other appointments</caption>
            <HeaderRow>
              <Th>Starts (UK time)</Th>
              <Th>Subject</Th>
              <Th>Specialty</Th>
              <Th>Clinic or location</Th>
              <Th>Status in PKB</Th>
            </HeaderRow>
            <tbody>
              {data.others.map((c) => (
                <tr key={c.id} className="border-b border-nhs-pale-grey">
                  <td className="py-2 pr-4">{c.start}</td>
                  <td className="py-2 pr-4">{c.subject}</td>
                  <td className="py-2 pr-4">{c.specialty}</td>
                  <td className="py-2 pr-4">{c.location}</td>
                  <td className="py-2 pr-4">{c.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <Panel>
        <h2 className="mb-2 text-xl font-bold">Internal notes</h2>
        <p className="mb-4 text-nhs-dark-grey">Staff only: the patient never sees these.</p>
        {data.notes.length === 0 ? (
          <p className="mb-4">No notes yet.</p>
        ) : (
          <ul className="mb-4 list-none">
            {data.notes.map((note) => (
              <li key={note.id} className="mb-3 border-l-4 border-nhs-pale-grey pl-3">
                <p className="text-sm text-nhs-dark-grey">
                  {note.author}, {note.at}
                </p>
                <p className="whitespace-pre-wrap">{note.body}</p>
              </li>
            ))}
          </ul>
        )}
        {data.canNote ? (
          <IntentForm intent="note" version={data.version} key={data.notes.length}>
            <TextArea
              id="note-body"
              name="body"
              label="Add a note"
              maxLength={NOTE_MAX}
              errors={fieldErrors("note-body")}
            />
            <Button variant="secondary">Add note</Button>
          </IntentForm>
        ) : null}
      </Panel>
      <Panel>
        <h2 className="mb-2 text-xl font-bold">History</h2>
        {data.history.length === 0 ? (
          <p>Nothing recorded yet.</p>
        ) : (
          <ol className="list-none">
            {data.history.map((event) => (
              <li key={event.id} className="border-b border-nhs-pale-grey py-2">
                <span className="font-bold">{event.what}</span>
                {event.move ? ` (${event.move})` : ""} — {event.who}, {event.at}
                {event.detail ? <span className="block">{event.detail}</span> : null}
              </li>
            ))}
          </ol>
        )}
      </Panel>
    </>
  );
}

function AppointmentPicker({
  data,
  errors,
}: {
  data: { version: number; candidates: Array<ReturnType<typeof appointmentView> & { id: string }> };
  errors: string[];
}) {
  return (
    <IntentForm intent="rematch" version={data.version}>
      <fieldset
        id="appointment"
        tabIndex={-1}
        className={`mt-4 ${errors.length ? "border-l-4 border-nhs-red pl-3" : ""}`}
      >
        <legend className="mb-2 text-xl font-bold">Which appointment is this about?</legend>
        <p className="mb-4 text-nhs-dark-grey">
          The patient&apos;s appointments PKB returned when the request arrived. Check the
          patient&apos;s note and pick one; your choice is recorded.
        </p>
        {errors.length ? (
          <p className="font-bold text-nhs-red">
            <span className="sr-only">Error: </span>
            {errors.join(". ")}
          </p>
        ) : null}
        {data.candidates.map((c) => (
          <div key={c.id} className="mb-3 flex items-start gap-3">
            <input
              type="radio"
              name="appointmentId"
              id={`appointment-${c.id}`}
              value={c.id}
              className="mt-1 h-6 w-6 accent-nhs-blue"
            />
            <label htmlFor={`appointment-${c.id}`}>
              <span className="font-bold">{c.start}</span> — {c.subject}
              <span className="block text-nhs-dark-grey">
                {c.specialty}; {c.location}; {c.serviceType}; {c.status}
              </span>
            </label>
          </div>
        ))}
      </fieldset>
      <Button className="mt-2">Use this appointment</Button>
    </IntentForm>
  );
}
