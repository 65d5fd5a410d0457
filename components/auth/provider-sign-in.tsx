import { signInWithProvider } from "@/server/auth/sign-in-action";

/**
 * One button per configured identity provider (OIDC, GitHub), under the password form; nothing
 * when none is configured. A plain form posting a server action: it works before any script loads.
 */
export function ProviderSignIn({ providers, next }: { providers: Array<{ id: string; name: string }>; next: string }) {
  if (providers.length === 0) return null;
  return (
    <div className="mt-6 space-y-3">
      <p className="text-center text-xs uppercase tracking-wide text-slate-500">or</p>
      {providers.map((provider) => (
        <form key={provider.id} action={signInWithProvider}>
          <input type="hidden" name="provider" value={provider.id} />
          <input type="hidden" name="next" value={next} />
          <button
            type="submit"
            className="w-full rounded-md border border-slate-300 px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500"
          >
            Continue with {provider.name}
          </button>
        </form>
      ))}
    </div>
  );
}
