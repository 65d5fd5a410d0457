import { swaggerUiAsset } from "@/server/http/swagger-ui-assets";

/** swagger-ui-dist's script and style sheet for the API reference page, from our origin. */
export async function GET(_request: Request, { params }: { params: Promise<{ file: string }> }) {
  return swaggerUiAsset((await params).file);
}
