"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button } from "./button";

/**
 * A button whose action needs a second, deliberate click: it opens an inline "Are you sure?"
 * with the consequence spelled out. Focus moves to the confirming button when the question
 * opens and back to the trigger when it closes (Escape or "keep"), so keyboard and screen-reader
 * users never lose their place.
 */
export function ConfirmAction({
  trigger,
  question,
  consequence,
  confirmLabel,
  keepLabel,
  disabled,
  onConfirm,
}: {
  trigger: ReactNode;
  question: string;
  consequence: string;
  confirmLabel: string;
  keepLabel: string;
  disabled?: boolean;
  onConfirm: () => void;
}) {
  const [open, setOpen] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  const id = useId();

  useEffect(() => {
    if (open) confirmRef.current?.focus();
    else if (wasOpen.current) triggerRef.current?.focus();
    wasOpen.current = open;
  }, [open]);

  if (!open) {
    return (
      <Button ref={triggerRef} variant="secondary" disabled={disabled} onClick={() => setOpen(true)}>
        {trigger}
      </Button>
    );
  }
  return (
    <div
      role="alertdialog"
      aria-modal="false"
      aria-labelledby={`${id}-question`}
      aria-describedby={`${id}-consequence`}
      data-testid="confirmation"
      onKeyDown={(event) => {
        if (event.key === "Escape") setOpen(false);
      }}
      className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950"
    >
      <p id={`${id}-question`} className="font-medium">
        {question}
      </p>
      <p id={`${id}-consequence`} className="mt-0.5">
        {consequence}
      </p>
      <div className="mt-2 flex flex-wrap gap-2">
        <Button
          ref={confirmRef}
          variant="danger"
          disabled={disabled}
          onClick={() => {
            setOpen(false);
            onConfirm();
          }}
        >
          {confirmLabel}
        </Button>
        <Button variant="secondary" onClick={() => setOpen(false)}>
          {keepLabel}
        </Button>
      </div>
    </div>
  );
}
