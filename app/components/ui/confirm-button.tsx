import { useEffect, useState, type ButtonHTMLAttributes } from "react";
import { Button } from "./button.tsx";

/**
 * A destructive button that asks twice (after the Epic Stack's useDoubleCheck): the first press
 * changes its label to a confirmation, the second submits. It resets after a few seconds or when
 * focus leaves it. Without JavaScript it submits on the first press.
 */
export function ConfirmButton({
  children,
  confirmLabel,
  variant = "warning",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  confirmLabel: string;
  variant?: "warning" | "secondary";
}) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const timer = setTimeout(() => setArmed(false), 6000);
    return () => clearTimeout(timer);
  }, [armed]);
  return (
    <>
      <Button
        {...props}
        variant={variant}
        onBlur={() => setArmed(false)}
        onClick={(event) => {
          if (!armed) {
            event.preventDefault();
            setArmed(true);
          }
        }}
      >
        {armed ? confirmLabel : children}
      </Button>
      <span role="status" aria-live="assertive" className="sr-only">
        {armed ? `${confirmLabel}: press again to confirm` : ""}
      </span>
    </>
  );
}
