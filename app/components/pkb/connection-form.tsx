import { Form } from "@remix-run/react";
import { useRef, useState } from "react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { TextField } from "~/components/ui/field.tsx";
import { messagesFor, type FormError } from "~/components/ui/form-errors.ts";
import { ENDPOINT_FIELDS } from "~/modules/pkb/connection-forms.ts";
import { endpointsForOrigin } from "~/modules/pkb/endpoints.ts";

/** Values the form shows: never a secret (the page only knows whether each is stored). */
export type ConnectionFormValues = Partial<
  Record<
    | "label"
    | (typeof ENDPOINT_FIELDS)[number]["name"]
    | "userClientId"
    | "redirectUri"
    | "systemClientId"
    | "aggregatedClientId"
    | "organisationPublicId"
    | "nominatedTeamName",
    string
  >
>;

const SECRET_LABELS = {
  userClientSecret: "User client secret",
  systemClientSecret: "System client secret",
  aggregatedClientSecret: "Aggregated client secret",
} as const;

export function ConnectionForm({
  values,
  errors,
  secretsStored,
  secretsCleared = false,
  submitLabel,
}: {
  values: ConnectionFormValues;
  errors: FormError[];
  /** On edit: which secrets are stored (blank keeps them). Absent on create. */
  secretsStored?: Record<keyof typeof SECRET_LABELS, boolean>;
  /** After an error: secrets typed before are not sent back, so say they need typing again. */
  secretsCleared?: boolean;
  submitLabel: string;
}) {
  const form = useRef<HTMLFormElement>(null);
  const field = (name: keyof ConnectionFormValues, label: string, hint?: string) => (
    <TextField
      id={name}
      name={name}
      label={label}
      hint={hint}
      defaultValue={values[name] ?? ""}
      errors={messagesFor(errors, name)}
      spellCheck={false}
      autoComplete="off"
    />
  );
  const secret = (name: keyof typeof SECRET_LABELS) => (
    <TextField
      id={name}
      name={name}
      type="password"
      label={SECRET_LABELS[name]}
      hint={
        secretsStored?.[name]
          ? "Stored (•••••••• hidden). Leave blank to keep it; type a new one to replace it."
          : secretsCleared
            ? "Type it again: for safety, secrets are never sent back to the page."
            : "Shown once by PKB when the client was registered."
      }
      errors={messagesFor(errors, name)}
      autoComplete="new-password"
    />
  );

  // Fills in place, so nothing typed (secrets included) is lost; a plain button, so Enter in a
  // field still saves.
  const [fillError, setFillError] = useState<string | null>(null);
  const fillFromOrigin = () => {
    const elements = form.current?.elements;
    const origin = (elements?.namedItem("origin") as HTMLInputElement | null)?.value.trim() ?? "";
    if (!elements || !/^https?:\/\/[^/?#\s]+\/?$/.test(origin)) {
      setFillError("Enter an address like https://pkb.example.nhs.uk first");
      return;
    }
    setFillError(null);
    const endpoints = endpointsForOrigin(origin);
    for (const { name } of ENDPOINT_FIELDS) {
      const input = elements.namedItem(name) as HTMLInputElement | null;
      if (input) input.value = endpoints[name];
    }
  };

  return (
    <Form method="post" noValidate ref={form}>
      <CsrfInput />
      <fieldset className="mb-6">
        <legend className="mb-3 text-xl font-bold">Organisation</legend>
        {field("label", "Name for this PKB organisation", "For example, the trust's name.")}
        {field(
          "organisationPublicId",
          "Organisation public id",
          "The UUID PKB gave the trust's organisation; sent with every system call.",
        )}
        {field(
          "nominatedTeamName",
          "Nominated team",
          "The PKB team that receives patients' cancel and change requests.",
        )}
      </fieldset>
      <fieldset className="mb-6">
        <legend className="mb-3 text-xl font-bold">PKB addresses</legend>
        <div className="mb-4 border-l-4 border-nhs-pale-grey pl-4">
          <TextField
            id="origin"
            name="origin"
            label="Fill from one address (optional)"
            hint="When every PKB surface sits under one address, like the sandbox, type it here to fill the six below."
            errors={fillError ? [fillError] : null}
            spellCheck={false}
            autoComplete="off"
          />
          <Button type="button" variant="secondary" className="mb-5" onClick={fillFromOrigin}>
            Fill the six addresses
          </Button>
        </div>
        {ENDPOINT_FIELDS.map(({ name, label }) =>
          field(name, label.charAt(0).toUpperCase() + label.slice(1)),
        )}
      </fieldset>
      <fieldset className="mb-6">
        <legend className="mb-3 text-xl font-bold">Clinician grant (user client)</legend>
        {field("userClientId", "User client id")}
        {secret("userClientSecret")}
        {field(
          "redirectUri",
          "Redirect address",
          "Where PKB returns the clinician after they allow access; must be registered with PKB exactly.",
        )}
      </fieldset>
      <fieldset className="mb-6">
        <legend className="mb-3 text-xl font-bold">Mass registration (system client)</legend>
        {field("systemClientId", "System client id")}
        {secret("systemClientSecret")}
      </fieldset>
      <fieldset className="mb-6">
        <legend className="mb-3 text-xl font-bold">Appointments (Aggregated API client)</legend>
        {field("aggregatedClientId", "Aggregated client id")}
        {secret("aggregatedClientSecret")}
      </fieldset>
      <Button>{submitLabel}</Button>
    </Form>
  );
}
