import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { startExperimentInput } from "@/server/evals/eval-schemas";
import { compareExperimentsInput, experimentIdInput, listExperimentsInput } from "@/server/evals/experiment-inputs";

/** A team's eval experiments (docs/evals.md): the same use-cases as /api/v1/evals/experiments and /api/v1/evals/compare. */
export const evalExperimentsRouter = createTRPCRouter({
  list: procedureFor("read")
    .input(listExperimentsInput)
    .query(({ ctx, input }) => ctx.services.evalExperiments.list(ctx.caller, input)),
  get: procedureFor("read")
    .input(experimentIdInput)
    .query(({ ctx, input }) => ctx.services.evalExperiments.get(ctx.caller, input.id)),
  start: procedureFor("execute", "spend")
    .input(startExperimentInput)
    .mutation(({ ctx, input }) => ctx.services.evalExperiments.start(ctx.caller, input)),
  cancel: procedureFor("execute")
    .input(experimentIdInput)
    .mutation(({ ctx, input }) => ctx.services.evalExperiments.cancel(ctx.caller, input.id)),
  delete: procedureFor("delete")
    .input(experimentIdInput)
    .mutation(({ ctx, input }) => ctx.services.evalExperiments.delete(ctx.caller, input.id)),
  compare: procedureFor("read")
    .input(compareExperimentsInput)
    .query(({ ctx, input }) => ctx.services.evalExperiments.compare(ctx.caller, input)),
});
