import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import { r4Errors, stu3Errors } from "./fhirSchemas.ts";
import {
  admin,
  aggregatedToken,
  facade,
  getJson,
  parametersOf,
  startTestSandbox,
  SYSTEMS,
  type Identifier,
} from "./support.ts";

let sb: RunningSandbox;
const asResource = (r: Record<string, unknown>): { resourceType?: unknown } => r;

beforeAll(async () => {
  sb = await startTestSandbox({ patients: 200, appointments: 2000 });
});
afterAll(() => sb.close());

describe("Facade output validates against the official FHIR STU3 JSON schema", () => {
  it("rejects what PKB's own example gets wrong (valueDatetime), so the check has teeth", () => {
    expect(
      stu3Errors(
        asResource({
          resourceType: "Parameters",
          parameter: [{ name: "expiry", valueDatetime: "2021-01-01T09:29:23.356+00:00" }],
        }),
      ),
    ).not.toEqual([]);
    expect(
      stu3Errors(
        asResource({
          resourceType: "Parameters",
          parameter: [{ name: "expiry", valueDateTime: "2021-01-01T09:29:23.356+00:00" }],
        }),
      ),
    ).toEqual([]);
  });

  it("metadata and the OperationDefinitions", async () => {
    const metadata = (await (await fetch(`${sb.url}/fhir/metadata`)).json()) as {
      resourceType: string;
      rest: { operation: { definition: { reference: string } }[] }[];
    };
    expect(stu3Errors(metadata)).toEqual([]);
    for (const op of metadata.rest[0]?.operation ?? []) {
      const def = (await (await fetch(`${sb.url}/fhir/${op.definition.reference}`)).json()) as {
        resourceType: string;
      };
      expect(stu3Errors(def)).toEqual([]);
    }
  });

  it("status-query, generate-invitation-tokens and read-receipt-query responses, and every kind of error", async () => {
    const s = sb.summary().samples;
    const ids: Identifier[] = [
      ...s.eligible.slice(0, 3),
      ...s["no-access"].slice(0, 2),
      ...s["not-found"],
      ...s.deceased.slice(0, 1),
      ...s.chi.slice(0, 1),
    ];
    const status = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", ids),
    );
    expect(stu3Errors(status.body)).toEqual([]);
    const tokens = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", ids),
    );
    expect(tokens.body.parameter?.length).toBeGreaterThan(0);
    expect(stu3Errors(tokens.body)).toEqual([]);
    const empty = await facade(
      sb,
      "Organization/$generate-invitation-tokens",
      parametersOf("patientIdentifier", s.deceased.slice(0, 1)),
    );
    expect(stu3Errors(empty.body)).toEqual([]);
    const docs = (await admin(sb, "GET", "/documents?limit=50")).body.documents as {
      identifier: string;
    }[];
    await admin(sb, "POST", "/documents/read", {
      documentIdentifiers: docs.slice(0, 3).map((d) => d.identifier),
    });
    const receipts = await facade(
      sb,
      "DocumentReference/$read-receipt-query",
      parametersOf(
        "documentIdentifier",
        docs.map((d) => ({ value: d.identifier })),
      ),
    );
    expect(receipts.body.parameter?.length).toBeGreaterThan(0);
    expect(stu3Errors(receipts.body)).toEqual([]);
    const errors = [
      await facade(sb, "Patient/$status-query", parametersOf("patientIdentifier", ids), {
        token: null,
      }),
      await facade(sb, "Patient/$status-query", parametersOf("patientIdentifier", ids), {
        org: null,
      }),
      await facade(
        sb,
        "Patient/$status-query",
        parametersOf("patientIdentifier", [{ system: "x", value: "1" }]),
      ),
      await facade(sb, "Patient/$status-query", { resourceType: "Parameters" }),
    ];
    for (const e of errors) {
      expect(e.body.resourceType).toBe("OperationOutcome");
      expect(stu3Errors(e.body)).toEqual([]);
    }
  });
});

describe("Aggregated output validates against the official FHIR R4 JSON schema", () => {
  it("catches a bad status or a stray key inside a Bundle entry, so the check has teeth", () => {
    const appointment = {
      resourceType: "Appointment",
      status: "booked",
      participant: [{ status: "accepted", actor: { reference: "Patient/1" } }],
    };
    const bundle = (resource: unknown): Record<string, unknown> => ({
      resourceType: "Bundle",
      type: "searchset",
      entry: [{ resource }],
    });
    expect(r4Errors(bundle(appointment))).toEqual([]);
    expect(r4Errors(bundle({ ...appointment, status: "requested" }))).not.toEqual([]);
    expect(r4Errors(bundle({ ...appointment, startTime: "2026-01-01" }))).not.toEqual([]);
  });

  it("Appointment Bundles (every status, including pending), Patient, Organization and OperationOutcome", async () => {
    const token = await aggregatedToken(sb);
    const patients = sb.app.state.population.patients
      .filter((p) => p.appointmentIndexes.length > 3 && p.orgMask & 1)
      .slice(0, 8);
    const firstAppointment =
      sb.app.state.population.appointments[patients[0]?.appointmentIndexes[0] ?? 0];
    if (firstAppointment) {
      await admin(sb, "POST", "/messages", {
        appointmentId: sb.app.state.appointmentIdOf(firstAppointment),
        kind: "cancel",
      });
    }
    const seenStatuses = new Set<string>();
    for (const p of patients) {
      const bundle = await getJson(
        `${sb.url}/aggregated/fhir/Appointment?actor:Patient.identifier=${encodeURIComponent(`${SYSTEMS[p.idKind]}|${p.nationalId}`)}`,
        token,
      );
      expect(r4Errors(bundle.body)).toEqual([]);
      for (const e of bundle.body.entry ?? []) seenStatuses.add(e.resource.status as string);
      const patient = await getJson(`${sb.url}/aggregated/fhir/Patient/${p.publicId}`, token);
      expect(r4Errors(patient.body)).toEqual([]);
    }
    expect(seenStatuses.has("booked")).toBe(true);
    const deceased = sb.app.state.population.patients.find((p) => p.deceasedDate && p.orgMask & 1);
    if (deceased) {
      expect(
        r4Errors(
          (await getJson(`${sb.url}/aggregated/fhir/Patient/${deceased.publicId}`, token)).body,
        ),
      ).toEqual([]);
    }
    const search = await getJson(
      `${sb.url}/aggregated/fhir/Patient?identifier=${encodeURIComponent(`${SYSTEMS.nhs}|4000000004`)}`,
      token,
    );
    expect(r4Errors(search.body)).toEqual([]);
    const org = await getJson(
      `${sb.url}/aggregated/fhir/Organization/${sb.organisations[0]?.publicId}`,
      token,
    );
    expect(r4Errors(org.body)).toEqual([]);
    const error = await getJson(`${sb.url}/aggregated/fhir/Appointment`, token);
    expect(error.body.resourceType).toBe("OperationOutcome");
    expect(r4Errors(error.body)).toEqual([]);
  });
});
