/**
 * The audit log's vocabulary: every action name Chorus records, with what it means. One list, so
 * the recorder's type, the dashboard's filter and docs/audit-log.md name the same things. Names
 * are `<area>.<what happened>`; filtering by a prefix (`task.`) finds an area. Actions other
 * parts record once they exist (members, invitations, webhooks, API keys from the dashboard) are
 * named here already so every caller spells them the same way.
 */
export const auditActions = {
  "auth.sign_in": "A member signed in",
  "auth.sign_in_failed": "A sign-in to a known account failed (wrong password)",
  "auth.sign_out": "A member signed out",
  "task.created": "A task was submitted (also an agent's try-it task)",
  "task.approved": "A plan awaiting approval was approved",
  "task.rejected": "A plan awaiting approval was rejected",
  "task.cancelled": "A task was cancelled",
  "task.rerun": "A task was rerun from a step (the new task is in details)",
  "task.tool_call_approved": "A tool call waiting for approval was approved",
  "task.tool_call_denied": "A tool call waiting for approval was denied",
  "api_key.created": "An API key was created",
  "api_key.revoked": "An API key was revoked",
  "agent.created": "A team agent was defined",
  "agent.updated": "A team agent was edited (a new version)",
  "agent.deleted": "A team agent was removed",
  "settings.tool_approvals_updated": "The tools that wait for approval changed",
  "settings.fetch_policy_updated": "The fetch policy changed",
  "settings.model_cache_updated": "The response cache was switched on or off",
  "settings.budget_updated": "The monthly model budget changed",
  "settings.model_routing_updated": "The model routing changed",
  "settings.webhook_destinations_updated": "Whether webhooks may reach private addresses changed",
  "model_provider.created": "A model provider was added",
  "model_provider.updated": "A model provider was changed",
  "model_provider.deleted": "A model provider was removed",
  "model_provider.tested": "A model provider's key was tested",
  "mcp_server.created": "An MCP server was registered",
  "mcp_server.updated": "An MCP server was changed",
  "mcp_server.deleted": "An MCP server was removed",
  "mcp_server.refreshed": "An MCP server's tool catalog was refreshed",
  "mcp_server.tested": "An MCP server's connection was tested",
  "knowledge.created": "A knowledge-base document was added",
  "knowledge.replaced": "A knowledge-base document's content was replaced",
  "knowledge.deleted": "A knowledge-base document was deleted",
  "member.invited": "A member was invited",
  "member.invitation_revoked": "An invitation was revoked",
  "member.joined": "An invitation was accepted",
  "member.role_changed": "A member's role changed",
  "member.removed": "A member was removed",
  "webhook.created": "A webhook endpoint was registered",
  "webhook.updated": "A webhook endpoint was changed (or disabled)",
  "webhook.deleted": "A webhook endpoint was removed",
  "webhook.secret_rotated": "A webhook endpoint's signing secret was rotated",
  "webhook.test_sent": "A test delivery was sent to a webhook endpoint",
  "eval.dataset_created": "An evals dataset was created",
  "eval.dataset_deleted": "An evals dataset was deleted, with its versions and experiments",
  "eval.experiment_started": "An eval experiment was started (its dataset, version and case count in details)",
  "eval.experiment_cancelled": "A running eval experiment was cancelled",
  "eval.experiment_deleted": "An eval experiment and its results were deleted",
} as const;

export type AuditAction = keyof typeof auditActions;

export const auditActionNames = Object.keys(auditActions) as AuditAction[];

/** Who did it: a member, an API key, the admin CLI on the server, or Chorus itself. */
export const auditActorTypes = ["user", "api_key", "cli", "system"] as const;
export type AuditActorType = (typeof auditActorTypes)[number];
