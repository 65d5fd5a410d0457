import { z } from "zod";
import { createTRPCRouter, procedureFor } from "@/server/api/trpc";
import { getKnowledgeInput, knowledgeTextInput, listKnowledgeInput, searchKnowledgeInput } from "@/server/knowledge/knowledge-schemas";

/**
 * The team knowledge base over tRPC. Documents are given as text here (`create`, `replace`);
 * files are uploaded over REST (`POST /api/v1/knowledge`, multipart), which the dashboard uses.
 */
const documentId = z.object({ id: z.string() });

export const knowledgeRouter = createTRPCRouter({
  list: procedureFor("read")
    .input(listKnowledgeInput.partial().optional())
    .query(({ ctx, input }) => ctx.services.knowledge.list(ctx.caller, input ?? {})),
  get: procedureFor("read")
    .input(documentId.extend(getKnowledgeInput.shape))
    .query(({ ctx, input }) => ctx.services.knowledge.get(ctx.caller, input.id, { chunks: input.chunks })),
  search: procedureFor("read")
    .input(searchKnowledgeInput)
    .query(({ ctx, input }) => ctx.services.knowledge.search(ctx.caller, input)),
  create: procedureFor("write")
    .input(knowledgeTextInput)
    .mutation(({ ctx, input }) => ctx.services.knowledge.create(ctx.caller, { json: input })),
  replace: procedureFor("write")
    .input(documentId.extend(knowledgeTextInput.shape))
    .mutation(({ ctx, input: { id, ...content } }) => ctx.services.knowledge.replace(ctx.caller, id, { json: content })),
  delete: procedureFor("write")
    .input(documentId)
    .mutation(({ ctx, input }) => ctx.services.knowledge.delete(ctx.caller, input.id)),
});
