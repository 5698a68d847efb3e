import { Form } from "@remix-run/react";
import { Button } from "~/components/ui/button.tsx";
import { CsrfInput } from "~/components/ui/csrf-input.tsx";
import { TextField } from "~/components/ui/field.tsx";

/** Step one and two of setting up an authenticator app: scan (or type) the key, confirm a code. */
export function EnrolmentForm({
  qrDataUrl,
  manualKey,
  errors,
  hidden = {},
}: {
  qrDataUrl: string;
  manualKey: string;
  errors: string[];
  hidden?: Record<string, string>;
}) {
  return (
    <>
      <ol className="mb-6 list-decimal space-y-4 pl-6">
        <li>
          Open an authenticator app on your work phone (for example Microsoft Authenticator) and add
          an account by scanning this QR code:
          <img
            src={qrDataUrl}
            width={220}
            height={220}
            alt="QR code to add PKB Desk to your authenticator app"
            className="mt-2 border border-nhs-mid-grey"
          />
        </li>
        <li>
          If you cannot scan it, choose to enter a key instead and type this key:
          <p className="mt-2 break-all font-mono text-xl" data-testid="manual-key">
            {manualKey}
          </p>
        </li>
        <li>Type the 6-digit code the app now shows.</li>
      </ol>
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="confirm" />
        {Object.entries(hidden).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <TextField
          id="code"
          name="code"
          label="Code from your authenticator app"
          hint="6 digits, for example 123456."
          inputMode="numeric"
          autoComplete="one-time-code"
          spellCheck={false}
          className="mt-1 block w-40 rounded-none border-2 border-nhs-black bg-white px-2 py-1.5 text-base"
          errors={errors}
        />
        <Button>Confirm and turn on two-step sign-in</Button>
      </Form>
    </>
  );
}

/** The recovery codes, once: printed or copied now, never shown again. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <section aria-labelledby="recovery-heading" className="mb-6">
      <h2 id="recovery-heading" className="mb-2 text-xl font-bold">
        Your recovery codes
      </h2>
      <p className="mb-2 max-w-3xl">
        Keep these somewhere safe, away from your phone. Each one signs you in once if you lose your
        phone. They will not be shown again.
      </p>
      <ul
        className="grid max-w-md grid-cols-2 gap-2 font-mono text-lg"
        data-testid="recovery-codes"
      >
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
    </section>
  );
}
