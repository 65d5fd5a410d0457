/**
 * One value per process, kept on globalThis under `Symbol.for(name)`: Next's bundled route
 * modules load their own copies of server modules, and must share the custom server's state
 * (listeners, caches) instead of starting their own. `create` runs once per process.
 */
export function processWide<T>(name: string, create: () => T): T {
  const store = globalThis as typeof globalThis & Record<symbol, unknown>;
  const key = Symbol.for(name);
  if (!(key in store)) store[key] = create();
  return store[key] as T;
}
