/**
 * The events a webhook endpoint can subscribe to, with what each means: plain data with no
 * imports, so the API's schemas and the dashboard's checkboxes share one list (docs/webhooks.md).
 */
export const webhookEventTypes = [
  "task.completed",
  "task.failed",
  "task.cancelled",
  "task.awaiting_approval",
  "task.budget_exceeded",
  "team.budget_warning",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export const webhookEventDescriptions: Record<WebhookEventType, string> = {
  "task.completed": "A task finished with a result",
  "task.failed": "A task failed",
  "task.cancelled": "A task was cancelled (or its plan rejected)",
  "task.awaiting_approval": "A task's plan waits for approval",
  "task.budget_exceeded": "A task stopped at its budget",
  "team.budget_warning": "The team reached 80% of its monthly budget",
};

/** Sent only by a test send from the API or the dashboard. */
export const WEBHOOK_TEST_EVENT = "webhook.test";
