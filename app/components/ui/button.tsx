import type { ButtonHTMLAttributes } from "react";

type Variant = "primary" | "secondary" | "warning" | "link";

const VARIANTS: Record<Variant, string> = {
  primary:
    "bg-nhs-green text-white shadow-[0_4px_0_#00401e] hover:bg-[#00662f] active:translate-y-[2px] active:shadow-none",
  secondary:
    "bg-white text-nhs-blue border-2 border-nhs-blue hover:bg-nhs-pale-grey active:translate-y-[2px]",
  warning:
    "bg-nhs-red text-white shadow-[0_4px_0_#6b140e] hover:bg-[#aa2016] active:translate-y-[2px] active:shadow-none",
  link: "text-nhs-blue underline underline-offset-2 hover:text-nhs-dark-blue px-0 py-0",
};

export function Button({
  variant = "primary",
  className = "",
  type = "submit",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  const base = variant === "link" ? "" : "rounded px-4 py-2 font-bold";
  return (
    <button
      type={type}
      className={`${base} ${VARIANTS[variant]} disabled:opacity-60 ${className}`}
      {...props}
    />
  );
}
