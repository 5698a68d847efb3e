import type { ReactNode } from "react";

export function PageHeading({
  title,
  lede,
  actions,
}: {
  title: string;
  lede?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 className="text-3xl font-bold">{title}</h1>
        {lede ? <p className="mt-2 max-w-3xl text-lg text-nhs-dark-grey">{lede}</p> : null}
      </div>
      {actions ? <div className="flex gap-3">{actions}</div> : null}
    </div>
  );
}

export function Panel({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <section className={`mb-6 bg-white p-6 shadow-sm ${className}`}>{children}</section>;
}
