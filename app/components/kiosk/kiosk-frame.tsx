import type { ReactNode } from "react";

/**
 * The kiosk's page frame: no staff navigation, large type, the NHS blue header a patient expects.
 * `staffControls` (sign-out, change campaign) sit small at the foot, away from the patient's path.
 */
export function KioskFrame({
  title,
  children,
  staffControls,
}: {
  title: string;
  children: ReactNode;
  staffControls?: ReactNode;
}) {
  return (
    <div className="flex min-h-screen flex-col bg-nhs-pale-grey">
      <header className="bg-nhs-blue text-white">
        <div className="mx-auto flex max-w-3xl items-center justify-between px-6 py-5">
          <p className="text-2xl font-bold">Patients Know Best</p>
          <p className="text-lg">{title}</p>
        </div>
      </header>
      <main id="main-content" className="mx-auto w-full max-w-3xl flex-1 px-6 py-8 text-xl">
        {children}
      </main>
      {staffControls ? (
        <footer className="border-t border-nhs-mid-grey bg-white">
          <div className="mx-auto flex max-w-3xl flex-wrap items-center gap-4 px-6 py-3 text-base">
            {staffControls}
          </div>
        </footer>
      ) : null}
    </div>
  );
}

/** A touch-sized button: at least 64 px tall, full width on narrow screens. */
export const KIOSK_BUTTON =
  "min-h-16 w-full rounded bg-nhs-green px-8 py-4 text-2xl font-bold text-white shadow-[0_4px_0_#00401e] active:translate-y-[2px] active:shadow-none sm:w-auto";

export const KIOSK_INPUT =
  "mt-2 block min-h-16 w-full rounded-none border-2 border-nhs-black bg-white px-4 py-3 text-2xl";
