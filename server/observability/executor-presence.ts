/**
 * Whether this process's embedded executor is running, as the readiness check asks it
 * (/api/health/ready): set where the executor is started and stopped (server/runtime), read by
 * the HTTP layer, which may not import the runtime that starts it.
 */
let running = false;

export function reportExecutorRunning(isRunning: boolean): void {
  running = isRunning;
}

export function executorRunning(): boolean {
  return running;
}
