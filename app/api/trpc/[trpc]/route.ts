import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { refuseOtherMethods } from "@/server/http/methods";

export const dynamic = "force-dynamic";

const handler = (request: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => createTRPCContext({ headers: request.headers }),
  });

export { handler as GET, handler as POST };

/** Any other method: a JSON 405 naming the ones served. */
export const { PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET", "POST");
