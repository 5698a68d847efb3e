import type { ReactNode } from "react";

/** Column header and cell with the portal's table spacing; `numeric` right-aligns figures. */
export function Th({ children, numeric = false }: { children?: ReactNode; numeric?: boolean }) {
  return (
    <th scope="col" className={`py-2 pr-4 ${numeric ? "text-right" : ""}`}>
      {children}
    </th>
  );
}

/** The header row: a heavier rule under the column names. */
export function HeaderRow({ children }: { children: ReactNode }) {
  return (
    <thead>
      <tr className="border-b-2 border-nhs-mid-grey">{children}</tr>
    </thead>
  );
}
