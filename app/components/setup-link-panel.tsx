import { Panel } from "./ui/page-heading.tsx";

/** Shows a freshly issued set-password link exactly once (it is not stored in readable form). */
export function SetupLinkPanel({ url, displayName }: { url: string; displayName: string }) {
  return (
    <Panel className="border-l-8 border-nhs-green">
      <h2 className="text-xl font-bold">Set-password link for {displayName}</h2>
      <p className="mt-2">
        Give this link to {displayName} by a channel your trust trusts (for example in person or by
        NHSmail). It works once, for 72 hours. <strong>It will not be shown again.</strong>
      </p>
      <label htmlFor="setup-link" className="mt-4 block font-bold">
        Link
      </label>
      <input
        id="setup-link"
        readOnly
        value={url}
        className="mt-1 block w-full border-2 border-nhs-black bg-nhs-pale-grey px-2 py-1.5 font-mono text-sm"
      />
    </Panel>
  );
}
