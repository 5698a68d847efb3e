import type {
  AggregatedAppointment,
  AggregatedClient,
} from "~/modules/pkb/aggregated-client.server.ts";
import { PkbApiError } from "~/modules/pkb/errors.ts";
import { systemOf } from "~/modules/pkb/identifiers.ts";
import type { RestClient } from "~/modules/pkb/rest-client.server.ts";
import type { CandidateAppointment } from "../match/matcher.ts";
import type { PatientLookup, SyncSources } from "./ports.ts";

/**
 * The sync's view of PKB, built on the PKB clients (the only code that talks to PKB): messages and
 * patients from Custom REST with the clinician's grant, appointments from the Aggregated API.
 */
export function pkbSyncSources(clients: {
  rest: RestClient;
  aggregated: AggregatedClient;
}): SyncSources {
  let calls = 0;
  return {
    async messagesAfter(after) {
      calls++;
      const { messages } = await clients.rest.messagesAfter(after);
      return messages.map((m) => ({
        id: m.id,
        conversationId: m.conversationId ?? null,
        timestamp: new Date(m.timestampMs),
        subject: m.subject,
        content: m.content,
        senderId: m.senderId ?? "",
        patientId: m.patientId ?? "",
      }));
    },

    async patientByPublicId(publicId): Promise<PatientLookup> {
      if (!publicId) return { found: false, reason: "not-found" };
      calls++;
      let user;
      try {
        user = await clients.rest.userByPublicId(publicId);
      } catch (error) {
        // 403: a definite answer (the trust's organisation cannot see this record), not a failure.
        if (error instanceof PkbApiError && error.status === 403) {
          return { found: false, reason: "not-visible" };
        }
        throw error;
      }
      if (!user) return { found: false, reason: "not-found" };
      const national = user.nationalIds.find((n) => n.kind !== undefined);
      if (!national?.kind) return { found: false, reason: "no-national-number" };
      return {
        found: true,
        identifier: { system: systemOf(national.kind), value: national.value },
        displayName: [user.firstName, user.lastName].filter(Boolean).join(" "),
      };
    },

    async appointmentsOf(identifier, options) {
      const result = await clients.aggregated.searchAppointments(
        identifier,
        options.status ? { status: [options.status] } : {},
      );
      calls += Math.max(1, result.pages);
      return result.appointments.map(toCandidate);
    },

    callCount: () => calls,
  };
}

function toCandidate(a: AggregatedAppointment): CandidateAppointment {
  return {
    id: a.id,
    // The appointment's own patient, from its participant — not the identifier we searched by —
    // so the matcher's same-patient check is a real second lock (hazard H1).
    patientKey: a.patientReference?.replace(/^Patient\//, "") ?? "",
    start: a.start ? new Date(a.start) : null,
    end: a.end ? new Date(a.end) : null,
    status: a.status,
    subject: a.appointmentType ?? null,
    specialtyCode: a.specialty?.code ?? null,
    specialtyDisplay: a.specialty?.display ?? null,
    serviceType: a.serviceType?.display ?? a.serviceType?.code ?? null,
    location: a.location ?? a.comment ?? null,
  };
}
