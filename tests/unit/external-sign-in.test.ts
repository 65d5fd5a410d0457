import { describe, expect, it } from "vitest";
import { verifiedEmailOf } from "@/server/auth/external-sign-in";

/** An identity provider's word on an email decides which account one signs in to: only a verified one counts. */
describe("the email a provider vouches for", () => {
  it("is the profile's email only when the provider says it is verified", () => {
    expect(verifiedEmailOf({ email: " Ada@Example.TEST ", email_verified: true })).toBe("ada@example.test");
    expect(verifiedEmailOf({ email: "ada@example.test", email_verified: false })).toBeUndefined();
    expect(verifiedEmailOf({ email: "ada@example.test" })).toBeUndefined();
    expect(verifiedEmailOf({ email: "ada@example.test", email_verified: "true" })).toBe("ada@example.test");
    expect(verifiedEmailOf({ email: "ada@example.test", email_verified: "false" })).toBeUndefined();
    expect(verifiedEmailOf({ email_verified: true })).toBeUndefined();
    expect(verifiedEmailOf(undefined)).toBeUndefined();
  });
});
