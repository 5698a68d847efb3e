import { randomUUID } from "node:crypto";
import { authorisedOrganisations, type Route, type SandboxApp } from "../app.ts";
import { basicCredentials, header, type RequestContext } from "../http/context.ts";
import { text, type Reply } from "../http/reply.ts";
import type { NationalIdKind } from "../identifiers.ts";
import { secretsMatch } from "../oauth/clientAuth.ts";
import type { Organisation, Patient } from "../population/model.ts";
import {
  buildAck,
  component,
  field,
  parseHl7,
  segment,
  type AckCode,
  type Hl7Message,
} from "./message.ts";

/** PID-3 assigning authorities (pkb-common) → national-number kind. */
const ASSIGNING_AUTHORITIES: Record<string, NationalIdKind> = {
  NHS: "nhs",
  "NHS SCOTLAND": "chi",
  CHI: "chi",
  DHSSPS: "hc",
  HC: "hc",
};

/**
 * Hybrid mail intake (pkb-api.md §8): one MDM^T02 per request, filed on the patient's record for
 * the sending organisation; answered with an HL7 ACK (AA, or AE/AR with the reason).
 */
export function hl7Routes(app: SandboxApp): Route[] {
  const { state, clock } = app;

  const ack = (message: Hl7Message | undefined, code: AckCode, reason: string): Reply => ({
    ...text(200, buildAck(message, code, reason, clock.now(), randomUUID())),
    headers: { "content-type": "application/hl7-v2; charset=utf-8", "cache-control": "no-store" },
  });

  const findPatient = (message: Hl7Message): Patient | undefined => {
    const pid = segment(message, "PID");
    for (const repetition of field(pid, 3).split(message.repetitionSeparator)) {
      const value = component(message, repetition, 1).trim();
      const authority = component(message, repetition, 4).trim().toUpperCase();
      if (authority === "PKB") {
        const patient = state.patientByPublicId(value);
        if (patient) return patient;
        continue;
      }
      const kind = ASSIGNING_AUTHORITIES[authority];
      const patient = kind ? state.patientByNationalId(kind, value) : undefined;
      if (patient) return patient;
    }
    return undefined;
  };

  const intake = async (ctx: RequestContext): Promise<Reply> => {
    const credentials = basicCredentials(ctx.req);
    const client = credentials ? app.clients.get(credentials.id) : undefined;
    if (
      !credentials ||
      !client ||
      client.kind !== "system" ||
      !secretsMatch(credentials.secret, client.secret)
    ) {
      return {
        ...text(401, "Authentication required"),
        headers: { "www-authenticate": 'Basic realm="hl7"', "content-type": "text/plain" },
      };
    }
    ctx.log.clientId = client.id;
    const message = parseHl7(await ctx.readBody());
    if (!message) return ack(undefined, "AR", "Not an HL7 v2 message (no MSH segment)");
    const msh = segment(message, "MSH");
    const type = field(msh, 9);
    if (component(message, type, 1) !== "MDM" || component(message, type, 2) !== "T02") {
      return ack(
        message,
        "AR",
        `Unsupported message type ${type || "(none)"}; only MDM^T02 is accepted`,
      );
    }
    const orgKey = (
      header(ctx.req, "x-org-public-id") ?? component(message, field(msh, 4), 1)
    ).trim();
    const organisation: Organisation | undefined = state.population.organisations.find(
      (o) => o.publicId === orgKey.toLowerCase() || o.odsCode === orgKey.toUpperCase(),
    );
    if (!organisation || !authorisedOrganisations(app, client.id).has(organisation.index)) {
      return ack(
        message,
        "AR",
        "Sending organisation unknown or not authorised (X-Org-Public-Id or MSH-4)",
      );
    }
    const txa = segment(message, "TXA");
    if (!txa) return ack(message, "AE", "TXA segment missing");
    const documentId = component(message, field(txa, 12), 1).trim();
    if (!documentId) return ack(message, "AE", "TXA-12.1 (unique document number) is required");
    if (state.documentById(documentId)) {
      return ack(message, "AE", "Duplicate document: TXA-12.1 already received");
    }
    const patient = findPatient(message);
    if (!patient) return ack(message, "AE", "Patient not found (PID-3)");
    if (!state.canOrganisationSee(organisation.index, patient)) {
      return ack(message, "AE", "The organisation has no access to this patient's record");
    }
    state.fileDocument({
      identifier: documentId,
      orgIndex: organisation.index,
      patientIndex: patient.index,
      title:
        component(message, field(txa, 2), 2) || component(message, field(txa, 2), 1) || "Letter",
      createdAt: clock.now(),
      readAt: null,
    });
    return ack(message, "AA", "Document filed");
  };

  return [{ method: "POST", pattern: /^\/services\/hl7$/, endpoint: "hl7.mdm", handle: intake }];
}
