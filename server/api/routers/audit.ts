import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { listAuditInput } from "@/server/teams/audit-log";

/** The team's audit log for the dashboard's Settings → Audit log (docs/audit-log.md): admins only, counted as reads. */
export const auditRouter = createTRPCRouter({
  list: procedureFor("manage", "read")
    .input(listAuditInput)
    .query(({ ctx, input }) => ctx.services.audit.list(ctx.caller, input)),
});
