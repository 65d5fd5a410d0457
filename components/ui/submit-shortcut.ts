import type { KeyboardEvent } from "react";

/**
 * Ctrl+Enter (Cmd+Enter on a Mac) submits: the shortcut people expect from a text box where
 * plain Enter starts a new line.
 */
export function isSubmitShortcut(event: KeyboardEvent): boolean {
  return event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.nativeEvent.isComposing;
}

/** A textarea's onKeyDown: on the shortcut, submits the form the textarea is in (its validation included). */
export function submitFormOnShortcut(event: KeyboardEvent<HTMLTextAreaElement | HTMLInputElement>): void {
  if (!isSubmitShortcut(event)) return;
  event.preventDefault();
  event.currentTarget.form?.requestSubmit();
}
