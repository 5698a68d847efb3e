import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from "react";

/**
 * Form fields after the NHS design system: a visible label, optional hint, and an error that is
 * announced with the field (aria-describedby) and shown with a red bar, not colour alone.
 */
interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  errors?: string[] | null;
}

function describedBy(id: string, hint?: string, errors?: string[] | null) {
  const ids = [hint ? `${id}-hint` : null, errors?.length ? `${id}-error` : null].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function FieldFrame({ id, label, hint, errors, children }: FieldProps & { children: ReactNode }) {
  const hasError = Boolean(errors?.length);
  return (
    <div className={`mb-5 ${hasError ? "border-l-4 border-nhs-red pl-3" : ""}`}>
      <label htmlFor={id} className="block font-bold">
        {label}
      </label>
      {hint ? (
        <p id={`${id}-hint`} className="text-nhs-dark-grey">
          {hint}
        </p>
      ) : null}
      {hasError ? (
        <p id={`${id}-error`} className="font-bold text-nhs-red">
          <span className="sr-only">Error: </span>
          {errors?.join(". ")}
        </p>
      ) : null}
      {children}
    </div>
  );
}

const CONTROL =
  "mt-1 block w-full max-w-xl rounded-none border-2 border-nhs-black bg-white px-2 py-1.5 text-base";

export function TextField({
  id,
  label,
  hint,
  errors,
  ...input
}: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <FieldFrame id={id} label={label} hint={hint} errors={errors}>
      <input
        id={id}
        className={`${CONTROL} ${errors?.length ? "border-nhs-red" : ""}`}
        aria-describedby={describedBy(id, hint, errors)}
        aria-invalid={errors?.length ? true : undefined}
        {...input}
      />
    </FieldFrame>
  );
}

export function SelectField({
  id,
  label,
  hint,
  errors,
  options,
  ...select
}: FieldProps &
  SelectHTMLAttributes<HTMLSelectElement> & { options: Array<{ value: string; label: string }> }) {
  return (
    <FieldFrame id={id} label={label} hint={hint} errors={errors}>
      <select
        id={id}
        className={CONTROL}
        aria-describedby={describedBy(id, hint, errors)}
        aria-invalid={errors?.length ? true : undefined}
        {...select}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

export function CheckboxGroup({
  name,
  legend,
  hint,
  options,
  defaultChecked,
}: {
  name: string;
  legend: string;
  hint?: string;
  options: Array<{ value: string; label: string }>;
  defaultChecked: string[];
}) {
  return (
    <fieldset className="mb-5" aria-describedby={hint ? `${name}-hint` : undefined}>
      <legend className="font-bold">{legend}</legend>
      {hint ? (
        <p id={`${name}-hint`} className="text-nhs-dark-grey">
          {hint}
        </p>
      ) : null}
      {options.length === 0 ? <p className="text-nhs-dark-grey">None yet.</p> : null}
      {options.map((option) => (
        <div key={option.value} className="mt-2 flex items-center gap-2">
          <input
            type="checkbox"
            id={`${name}-${option.value}`}
            name={name}
            value={option.value}
            defaultChecked={defaultChecked.includes(option.value)}
            className="h-6 w-6 accent-nhs-blue"
          />
          <label htmlFor={`${name}-${option.value}`}>{option.label}</label>
        </div>
      ))}
    </fieldset>
  );
}

export function ErrorSummary({ errors }: { errors: Array<{ field?: string; message: string }> }) {
  if (errors.length === 0) return null;
  return (
    <div
      role="alert"
      tabIndex={-1}
      aria-labelledby="error-summary-title"
      className="mb-6 border-4 border-nhs-red bg-white p-4"
    >
      <h2 id="error-summary-title" className="text-xl font-bold">
        There is a problem
      </h2>
      <ul className="mt-2 list-none">
        {errors.map((error) => (
          <li key={`${error.field ?? ""}${error.message}`}>
            {error.field ? (
              <a href={`#${error.field}`} className="font-bold text-nhs-red">
                {error.message}
              </a>
            ) : (
              <span className="font-bold text-nhs-red">{error.message}</span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
