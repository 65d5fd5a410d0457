import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";

/**
 * Evals' datasets (docs/evals.md#datasets): the same use-cases as /api/v1/evals/datasets. Inputs
 * name the dataset (and case) beside the fields the service validates, so a bad field is a 400
 * naming it, as over REST.
 */
const byId = z.object({ id: z.string() });
const byCase = byId.extend({ key: z.string() });

export const evalDatasetsRouter = createTRPCRouter({
  list: procedureFor("read")
    .input(z.object({ name: z.string().optional() }).optional())
    .query(({ ctx, input }) => ctx.services.evalDatasets.list(ctx.caller, input ?? {})),
  get: procedureFor("read")
    .input(byId.extend({ version: z.number().optional() }))
    .query(({ ctx, input: { id, ...query } }) => ctx.services.evalDatasets.get(ctx.caller, id, query)),
  versions: procedureFor("read")
    .input(byId)
    .query(({ ctx, input }) => ctx.services.evalDatasets.versions(ctx.caller, input.id)),
  create: procedureFor("write")
    .input(z.unknown())
    .mutation(({ ctx, input }) => ctx.services.evalDatasets.create(ctx.caller, input)),
  update: procedureFor("write")
    .input(byId.loose())
    .mutation(({ ctx, input: { id, ...changes } }) => ctx.services.evalDatasets.update(ctx.caller, id, changes)),
  delete: procedureFor("delete")
    .input(byId)
    .mutation(({ ctx, input }) => ctx.services.evalDatasets.delete(ctx.caller, input.id)),
  addCase: procedureFor("write")
    .input(byId.loose())
    .mutation(({ ctx, input: { id, ...fields } }) => ctx.services.evalDatasets.addCase(ctx.caller, id, fields)),
  updateCase: procedureFor("write")
    .input(byCase.loose())
    .mutation(({ ctx, input: { id, key, ...fields } }) => ctx.services.evalDatasets.updateCase(ctx.caller, id, key, fields)),
  deleteCase: procedureFor("write")
    .input(byCase)
    .mutation(({ ctx, input }) => ctx.services.evalDatasets.deleteCase(ctx.caller, input.id, input.key)),
  /** JSON only here (a file's text in `content`, within tRPC's body cap); larger files go to the REST route as a multipart upload. */
  import: procedureFor("write")
    .input(byId.loose())
    .mutation(({ ctx, input: { id, ...fields } }) => ctx.services.evalDatasets.import(ctx.caller, id, fields)),
  addFromTask: procedureFor("write")
    .input(byId.loose())
    .mutation(({ ctx, input: { id, ...fields } }) => ctx.services.evalDatasets.addFromTask(ctx.caller, id, fields)),
});
