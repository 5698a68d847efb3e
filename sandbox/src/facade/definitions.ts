/** The Facade's CapabilityStatement and OperationDefinitions (FHIR STU3 3.0.2). */

const PKB_OPERATION = "http://fhir.patientsknowbest.com/operation";

interface OperationSpec {
  id: string;
  code: string;
  resource: string;
  description: string;
  input: { name: string; max: string; documentation: string };
  output: {
    name: string;
    max: string;
    documentation: string;
    parts: { name: string; type: string; min: number; documentation: string }[];
  };
}

export const OPERATIONS: readonly OperationSpec[] = [
  {
    id: "Patient-t-status-query",
    code: "status-query",
    resource: "Patient",
    description: "Registration status of patients, by national identifier.",
    input: {
      name: "patientIdentifier",
      max: "5000",
      documentation: "NHS, CHI or H&C number. Any other system rejects the whole request.",
    },
    output: {
      name: "patientStatus",
      max: "5000",
      documentation: "One per input identifier.",
      parts: [
        {
          name: "patientIdentifier",
          type: "Identifier",
          min: 1,
          documentation: "Echo of the input identifier.",
        },
        {
          name: "deceased",
          type: "boolean",
          min: 0,
          documentation: "Present when found or 'No access'.",
        },
        {
          name: "registered",
          type: "boolean",
          min: 0,
          documentation: "Present when found or 'No access'.",
        },
        {
          name: "dateOfBirth",
          type: "date",
          min: 0,
          documentation: "Only when found and the organisation has access.",
        },
        {
          name: "diagnostics",
          type: "string",
          min: 0,
          documentation: "'Not found' or 'No access'.",
        },
      ],
    },
  },
  {
    id: "Organization-t-generate-invitation-tokens",
    code: "generate-invitation-tokens",
    resource: "Organization",
    description:
      "Invitation tokens for patients to join PKB. None for deceased, not found, registered, no date of birth or under 16.",
    input: { name: "patientIdentifier", max: "500", documentation: "NHS, CHI or H&C number." },
    output: {
      name: "patientTokens",
      max: "500",
      documentation:
        "Only for eligible patients. Tokens are 10 characters and expire after 30 days.",
      parts: [
        {
          name: "patientIdentifier",
          type: "Identifier",
          min: 1,
          documentation: "Echo of the input identifier.",
        },
        { name: "code", type: "string", min: 1, documentation: "Invitation Code (Join URL t1)." },
        { name: "token", type: "string", min: 1, documentation: "Access Code (Join URL t2)." },
        { name: "expiry", type: "dateTime", min: 1, documentation: "When the pair stops working." },
      ],
    },
  },
  {
    id: "DocumentReference-t-read-receipt-query",
    code: "read-receipt-query",
    resource: "DocumentReference",
    description: "Whether documents sent by this organisation (MDM^T02, TXA-12.1) have been read.",
    input: {
      name: "documentIdentifier",
      max: "5000",
      documentation: "TXA-12.1 of the MDM^T02 message.",
    },
    output: {
      name: "readReceipt",
      max: "5000",
      documentation: "Not returned for unknown documents or documents of another organisation.",
      parts: [
        {
          name: "documentIdentifier",
          type: "Identifier",
          min: 1,
          documentation: "Echo of the input identifier.",
        },
        {
          name: "read",
          type: "boolean",
          min: 1,
          documentation: "Whether the patient has opened the document.",
        },
        {
          name: "readTimestamp",
          type: "dateTime",
          min: 0,
          documentation: "When it was first read.",
        },
      ],
    },
  },
];

export function operationDefinition(spec: OperationSpec): Record<string, unknown> {
  return {
    resourceType: "OperationDefinition",
    id: spec.id,
    url: `${PKB_OPERATION}/${spec.code}`,
    name: spec.code,
    status: "active",
    kind: "operation",
    publisher: "Patients Know Best (PKB Desk sandbox)",
    description: spec.description,
    code: spec.code,
    resource: [spec.resource],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: spec.input.name,
        use: "in",
        min: 1,
        max: spec.input.max,
        type: "Identifier",
        documentation: spec.input.documentation,
      },
      {
        name: spec.output.name,
        use: "out",
        min: 0,
        max: spec.output.max,
        documentation: spec.output.documentation,
        part: spec.output.parts.map((p) => ({
          name: p.name,
          use: "out",
          min: p.min,
          max: "1",
          type: p.type,
          documentation: p.documentation,
        })),
      },
    ],
  };
}

export function capabilityStatement(baseUrl: string, date: string): Record<string, unknown> {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date,
    publisher: "Patients Know Best (PKB Desk sandbox)",
    kind: "instance",
    software: { name: "PKB Desk sandbox" },
    implementation: { description: "PKB Facade FHIR API (sandbox)", url: `${baseUrl}/fhir` },
    fhirVersion: "3.0.2",
    acceptUnknown: "no",
    format: ["application/fhir+json"],
    rest: [
      {
        mode: "server",
        security: {
          service: [
            { coding: [{ system: "http://hl7.org/fhir/restful-security-service", code: "OAuth" }] },
          ],
          description: "OAuth 2.0 bearer tokens. System users also send X-Org-Public-Id.",
        },
        operation: OPERATIONS.map((spec) => ({
          name: spec.code,
          definition: { reference: `OperationDefinition/${spec.id}` },
        })),
      },
    ],
  };
}
