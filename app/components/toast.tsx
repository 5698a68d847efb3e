import { useEffect, useState } from "react";

/** Confirmation after a mutation: announced politely to screen readers, dismissible. */
export function ToastMessage({
  toast,
}: {
  toast: { kind: "success" | "error"; message: string } | null;
}) {
  const [visible, setVisible] = useState(Boolean(toast));
  useEffect(() => setVisible(Boolean(toast)), [toast]);
  return (
    <div role="status" aria-live="polite" className="mx-auto max-w-6xl px-4">
      {toast && visible ? (
        <div
          className={`mt-4 flex items-start justify-between gap-4 border-l-8 bg-white p-4 shadow ${
            toast.kind === "success" ? "border-nhs-green" : "border-nhs-red"
          }`}
        >
          <p className="font-bold">{toast.message}</p>
          <button type="button" onClick={() => setVisible(false)} className="underline">
            Dismiss
          </button>
        </div>
      ) : null}
    </div>
  );
}
