import type { ReactNode } from "react";
import { SettingsNav } from "@/components/settings/settings-nav";

/** Team settings: a page per concern (agents first), with their navigation beside them (above, on a narrow screen). */
export default function SettingsLayout({ children }: { children: ReactNode }) {
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold">Settings</h1>
      <div className="flex flex-col gap-6 md:flex-row">
        <aside className="md:w-48 md:shrink-0">
          <SettingsNav />
        </aside>
        <div className="min-w-0 flex-1">{children}</div>
      </div>
    </div>
  );
}
