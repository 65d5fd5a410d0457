import { NextRequest } from "next/server";
import { handlers } from "@/server/auth/auth";
import { refuseOtherMethods } from "@/server/http/methods";
import { publicOrigin } from "@/server/http/public-origin";

/**
 * next-auth's endpoints, told the origin the browser used: behind a proxy, Next.js gives a
 * custom server's requests the address it listens on (`http://0.0.0.0:3000`), and Auth.js built
 * its redirects (after sign-out, to the sign-in page) from that.
 */
function atPublicOrigin(handler: (request: NextRequest) => Promise<Response>) {
  return (request: NextRequest) => {
    const origin = publicOrigin(request.headers);
    if (!origin || origin === request.nextUrl.origin) return handler(request);
    return handler(new NextRequest(request.nextUrl.href.replace(request.nextUrl.origin, origin), request));
  };
}

export const GET = atPublicOrigin(handlers.GET);
export const POST = atPublicOrigin(handlers.POST);

/** Any other method: a JSON 405 naming the ones served. */
export const { PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET", "POST");
