"use client";

import { useEffect, useSyncExternalStore } from "react";
import { THEME_STORAGE_KEY } from "./theme-script";

/**
 * Light, dark or the system's theme, kept in localStorage. The class on <html> is set before
 * the first paint by the root layout's script; ThemeSync keeps it right after React has taken
 * over the page, and ThemeToggle lets a person choose.
 */
type ThemeChoice = "system" | "light" | "dark";

const listeners = new Set<() => void>();

function readChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(THEME_STORAGE_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener("storage", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

function applyChoice(choice: ThemeChoice) {
  const dark = choice === "dark" || (choice === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
}

/**
 * Re-applies the saved theme once React has rendered (a page that had to be rendered again in
 * the browser gets a fresh <html> without the head script's class) and follows the system's
 * setting while no theme is chosen. Renders nothing; the root layout holds it.
 */
export function ThemeSync() {
  useEffect(() => {
    applyChoice(readChoice());
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    const follow = () => applyChoice(readChoice());
    media.addEventListener("change", follow);
    window.addEventListener("storage", follow);
    return () => {
      media.removeEventListener("change", follow);
      window.removeEventListener("storage", follow);
    };
  }, []);
  return null;
}

export function ThemeToggle() {
  // The server cannot know the stored choice: it renders "system", and the browser's value follows hydration.
  const choice = useSyncExternalStore(subscribe, readChoice, () => "system" as const);
  return (
    <label className="flex items-center gap-1 text-slate-700">
      <span>Theme</span>
      <select
        value={choice}
        onChange={(event) => {
          const next = event.target.value as ThemeChoice;
          try {
            if (next === "system") localStorage.removeItem(THEME_STORAGE_KEY);
            else localStorage.setItem(THEME_STORAGE_KEY, next);
          } catch {
            // Storage refused (private mode): the choice lasts for this page only.
          }
          applyChoice(next);
          listeners.forEach((listener) => listener());
        }}
        className="rounded-md border border-slate-300 bg-white px-1.5 py-1 text-sm text-slate-800"
        data-testid="theme-select"
      >
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
