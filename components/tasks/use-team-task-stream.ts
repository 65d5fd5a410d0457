"use client";

import { useEffect, useRef, useState } from "react";
import { teamStreamEventTypes } from "@/server/domain/task-vocabulary";

/**
 * The team stream (GET /api/v1/events) for the task list: calls `onChange` with each status
 * change of any of the team's tasks, and `onReset` when the list should reload whole (the stream
 * resumed after a gap too long to replay). EventSource reconnects on its own and resumes with
 * Last-Event-ID, so nothing is missed; `connected` says whether it is open now (the list falls
 * back to a slow re-read while it is not).
 */
export interface TeamTaskChange {
  taskId: string;
  type: string;
  status: string;
  at: string;
}

export function useTeamTaskStream(handlers: { onChange(change: TeamTaskChange): void; onReset(): void }) {
  const [connected, setConnected] = useState(false);
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  useEffect(() => {
    const source = new EventSource("/api/v1/events");
    const change = (message: MessageEvent<string>) => latest.current.onChange(JSON.parse(message.data) as TeamTaskChange);
    const ready = () => setConnected(true);
    const reset = () => latest.current.onReset();
    // After a reconnect the stream replays what happened meanwhile; until it is open again the list re-reads slowly.
    const lost = () => setConnected(source.readyState === EventSource.OPEN);
    for (const type of teamStreamEventTypes) source.addEventListener(type, change);
    source.addEventListener("ready", ready);
    source.addEventListener("reset", reset);
    source.addEventListener("open", ready);
    source.addEventListener("error", lost);
    return () => source.close();
  }, []);
  return { connected };
}
