import { createTRPCRouter, procedureFor } from "@/server/api/trpc";

/** How much of the database the team's rows take, and the retention in effect (Settings → Data; admins, counted as reads). */
export const storageRouter = createTRPCRouter({
  summary: procedureFor("manage", "read").query(({ ctx }) => ctx.services.storage.summary(ctx.caller)),
});
