"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState, type ReactNode } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";
import { caseInputOf, emptyCaseForm, type CaseFormValues } from "./case-form-values";

/**
 * Adds a case to a dataset, or edits one (keeping its key): the prompt and every expectation a
 * scorer reads — facts it must contain, patterns, citations, a rubric for the judge, a reference
 * answer, a JSON Schema, and cost/token/time limits. Saving writes a new version of the dataset.
 */
export function CaseEditor({
  datasetId,
  caseKey,
  initial = emptyCaseForm,
  onDone,
}: {
  datasetId: string;
  /** Given: edits that case; absent: adds a new one. */
  caseKey?: string;
  initial?: CaseFormValues;
  onDone?: () => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const id = useId();
  const [values, setValues] = useState(initial);
  const [localError, setLocalError] = useState<{ message: string; field: string } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const onSuccess = (dataset: { version: number }) => {
    setSaved(`Saved as version ${dataset.version}.`);
    if (!caseKey) setValues(emptyCaseForm);
    router.refresh();
    onDone?.();
  };
  const add = useMutation(trpc.evalDatasets.addCase.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.evalDatasets.updateCase.mutationOptions({ onSuccess }));
  const pending = add.isPending || update.isPending;
  const serverError = add.error ?? update.error;
  const errorField = localError?.field ?? (serverError?.data as { field?: string } | undefined)?.field?.split(".").at(-1);

  const set = (name: keyof CaseFormValues) => (event: { target: { value: string } }) => {
    setSaved(null);
    setValues((current) => ({ ...current, [name]: event.target.value }));
  };
  const field = (name: keyof CaseFormValues) => ({
    id: `${id}-${name}`,
    name,
    value: values[name],
    onChange: set(name),
    disabled: pending,
    "aria-invalid": errorField === name,
    className: settingsInputClass,
  });

  function submit() {
    const input = caseInputOf(values);
    if ("error" in input) {
      setLocalError({ message: input.error, field: input.field });
      return;
    }
    setLocalError(null);
    if (caseKey) update.mutate({ id: datasetId, key: caseKey, ...input });
    else add.mutate({ id: datasetId, ...input });
  }

  return (
    <form
      aria-label={caseKey ? `Edit case ${caseKey}` : "New case"}
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Field label="Prompt" htmlFor={`${id}-prompt`}>
        <textarea {...field("prompt")} required rows={3} maxLength={20_000} />
      </Field>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Must contain" hint="One fact per line" htmlFor={`${id}-contains`}>
          <textarea {...field("contains")} rows={3} />
        </Field>
        <Field label="Must match" hint="Regular expressions, one per line" htmlFor={`${id}-matches`}>
          <textarea {...field("matches")} rows={3} />
        </Field>
        <Field label="Must cite" hint="Document titles or URLs, one per line" htmlFor={`${id}-citations`}>
          <textarea {...field("citations")} rows={3} />
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Rubric" hint="What a judge model scores the result against" htmlFor={`${id}-rubric`}>
          <textarea {...field("rubric")} rows={3} maxLength={4000} />
        </Field>
        <Field label="Reference answer" hint="The result's similarity is measured to it" htmlFor={`${id}-reference`}>
          <textarea {...field("reference")} rows={3} maxLength={20_000} />
        </Field>
      </div>
      <Field label="JSON Schema" hint="The result (or its JSON block) must validate against it" htmlFor={`${id}-jsonSchema`}>
        <textarea {...field("jsonSchema")} rows={3} className={`${settingsInputClass} font-mono`} spellCheck={false} />
      </Field>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Max cost (USD)" htmlFor={`${id}-maxCostUsd`}>
          <input {...field("maxCostUsd")} inputMode="decimal" />
        </Field>
        <Field label="Max tokens" htmlFor={`${id}-maxTokens`}>
          <input {...field("maxTokens")} inputMode="numeric" />
        </Field>
        <Field label="Max time (ms)" htmlFor={`${id}-maxDurationMs`}>
          <input {...field("maxDurationMs")} inputMode="numeric" />
        </Field>
      </div>
      <ErrorNote error={localError ?? serverError} />
      {saved ? (
        <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          {saved}
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : caseKey ? "Save case" : "Add case"}
        </Button>
        {onDone ? (
          <Button type="button" variant="secondary" onClick={onDone} disabled={pending}>
            Cancel
          </Button>
        ) : null}
      </div>
    </form>
  );
}

function Field({ label, hint, htmlFor, children }: { label: string; hint?: string; htmlFor: string; children: ReactNode }) {
  return (
    <div>
      <label htmlFor={htmlFor} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {hint ? <p className="text-xs text-slate-500">{hint}</p> : null}
      {children}
    </div>
  );
}
