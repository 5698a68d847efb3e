import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { PageHeading, Panel } from "~/components/ui/page-heading.tsx";
import { notFound, requireMutation, requirePermission } from "~/modules/auth/guard.server.ts";
import { hasPermission, type RouteAccess } from "~/modules/auth/permissions.ts";
import {
  canPickAppointment,
  MATCH_STATE_HINTS,
  MATCH_STATE_LABELS,
} from "~/modules/requests/match-state.ts";
import {
  pickAppointment,
  PickAppointmentError,
  viewRequest,
} from "~/modules/requests/requests.server.ts";
import { clientAddress } from "~/platform/request-context.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";
import { formatUkDateTime } from "~/platform/uk-time.ts";

export const access = {
  loader: "read:request:team",
  action: "update:request:team",
} satisfies RouteAccess;

export const meta: MetaFunction = () => [{ title: "Appointment request – PKB Desk" }];

const RequestIdSchema = z.uuid();

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("pick-appointment"),
    appointmentId: z.string({ error: "Choose the appointment this request is about." }).min(1, {
      error: "Choose the appointment this request is about.",
    }),
  }),
]);

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

export async function loader({ request, params }: LoaderFunctionArgs) {
  const session = await requirePermission(request, access.loader);
  const id = RequestIdSchema.safeParse(params.requestId);
  if (!id.success) throw notFound();
  const found = await viewRequest(session.user, id.data, {
    actor: { id: session.user.id, label: session.user.email },
    clientAddress: clientAddress(request),
  });
  if (!found) throw notFound();
  const canPick =
    canPickAppointment(found.matchState) && hasPermission(session.user.role, "update:request:team");
  return {
    id: found.id,
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
    canPick,
    candidates: canPick ? found.candidates.map((c) => ({ id: c.id, ...appointmentView(c) })) : [],
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const {
    form,
    actor,
    clientAddress: address,
    session,
  } = await requireMutation(request, access.action);
  const id = RequestIdSchema.safeParse(params.requestId);
  if (!id.success) throw notFound();
  const parsed = ActionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return Response.json(
      {
        errors: [
          {
            field: "appointment",
            message: parsed.error.issues[0]?.message ?? "Choose an appointment.",
          },
        ],
      },
      { status: 400 },
    );
  }
  try {
    await pickAppointment(session.user, id.data, parsed.data.appointmentId, {
      actor,
      clientAddress: address,
    });
  } catch (error) {
    if (error instanceof PickAppointmentError) {
      return Response.json(
        { errors: [{ field: "appointment", message: error.message }] },
        { status: 400 },
      );
    }
    throw error;
  }
  return redirectWithToast(`/requests/${id.data}`, {
    kind: "success",
    message: "Appointment matched to the request.",
  });
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="border-b border-nhs-pale-grey py-2 sm:grid sm:grid-cols-3 sm:gap-4">
      <dt className="font-bold">{label}</dt>
      <dd className="sm:col-span-2">{children}</dd>
    </div>
  );
}

export default function RequestDetail() {
  const data = useLoaderData<typeof loader>();
  const errors =
    useActionData<{ errors: Array<{ field?: string; message: string }> }>()?.errors ?? [];
  return (
    <>
      <p className="mb-4">
        <Link to="/requests">Back to requests</Link>
      </p>
      <PageHeading
        title={`Request to ${data.action} an appointment`}
        lede={`Received ${data.receivedAt} (UK time).`}
      />
      <ErrorSummary errors={errors} />
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
      </Panel>
      {data.canPick ? (
        <Panel>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="pick-appointment" />
            <fieldset id="appointment" tabIndex={-1}>
              <legend className="mb-2 text-xl font-bold">Which appointment is this about?</legend>
              <p className="mb-4 text-nhs-dark-grey">
                The patient&apos;s appointments PKB returned when the request arrived. Check the
                patient&apos;s note and pick one; your choice is recorded.
              </p>
              {data.candidates.length === 0 ? (
                <p>
                  PKB returned no appointments for this patient. Look the appointment up in PAS.
                </p>
              ) : (
                data.candidates.map((c) => (
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
                ))
              )}
            </fieldset>
            {data.candidates.length > 0 ? (
              <Button className="mt-2">Use this appointment</Button>
            ) : null}
          </Form>
        </Panel>
      ) : null}
    </>
  );
}
