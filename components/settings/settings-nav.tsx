"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/** The settings pages, one per concern; more join this list as they are built. */
const pages = [
  { href: "/settings/agents", label: "Agents" },
  { href: "/settings/tools", label: "Tools" },
  { href: "/settings/models", label: "Models" },
  { href: "/settings/members", label: "Members" },
  { href: "/settings/api-keys", label: "API keys" },
  { href: "/settings/spending", label: "Spending" },
  { href: "/settings/audit", label: "Audit log" },
  { href: "/settings/webhooks", label: "Webhooks" },
  { href: "/settings/data", label: "Data" },
];

/** The settings area's navigation; the current page is marked for screen readers and by sight. */
export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings">
      <ul className="flex gap-2 overflow-x-auto md:flex-col md:gap-1">
        {pages.map((page) => {
          const current = pathname === page.href || pathname.startsWith(`${page.href}/`);
          return (
            <li key={page.href}>
              <Link
                href={page.href}
                aria-current={current ? "page" : undefined}
                className={`block rounded-md px-3 py-2 text-sm ${current ? "bg-indigo-50 font-medium text-indigo-800" : "text-slate-700 hover:bg-slate-100"}`}
              >
                {page.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
