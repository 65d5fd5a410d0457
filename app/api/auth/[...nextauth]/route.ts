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
    const href = request.nextUrl.href.replace(request.nextUrl.origin, origin);
    const atOrigin = new NextRequest(href, request);
    // NextRequest turns a 127.0.0.1 or [::1] host into "localhost" in its `url`, and Auth.js builds an
    // OAuth provider's redirect_uri from `url`: it must be the one the browser was sent to at sign-in.
    Object.defineProperty(atOrigin, "url", { value: href });
    return handler(atOrigin);
  };
}

export const GET = atPublicOrigin(handlers.GET);
export const POST = atPublicOrigin(handlers.POST);

/** Any other method: a JSON 405 naming the ones served. */
export const { PUT, PATCH, DELETE, OPTIONS } = refuseOtherMethods("GET", "POST");
