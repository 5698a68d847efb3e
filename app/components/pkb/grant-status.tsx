import type { PkbGrantStatus } from "~/generated/prisma/enums.ts";

const WORDING: Record<PkbGrantStatus | "NONE", { text: string; className: string }> = {
  ACTIVE: { text: "Active", className: "border-nhs-green text-nhs-green" },
  NEEDS_REAUTHORISATION: {
    text: "Needs re-authorisation",
    className: "border-nhs-red text-nhs-red",
  },
  DISCONNECTED: { text: "Disconnected", className: "border-nhs-dark-grey text-nhs-dark-grey" },
  NONE: { text: "Not granted yet", className: "border-nhs-dark-grey text-nhs-dark-grey" },
};

/** The grant's status in words (never colour alone). */
export function GrantStatusTag({ status }: { status: PkbGrantStatus | null }) {
  const wording = WORDING[status ?? "NONE"];
  return (
    <strong className={`inline-block border-2 bg-white px-2 py-0.5 text-sm ${wording.className}`}>
      {wording.text}
    </strong>
  );
}
