"use client";

import { useEffect, useReducer, useState } from "react";
import { runEventTypes, terminalEventTypes } from "@/server/domain/task-vocabulary";
import { applyProgressEvent, initialProgress, type ProgressEvent, type TaskProgress } from "./task-progress";

export type StreamConnection = "connecting" | "live" | "reconnecting" | "closed";

/**
 * A task's live progress from its SSE stream (/api/v1/tasks/:id/events), folded by
 * applyProgressEvent: what the task page and the agent "try it" box both show. The stream
 * closes itself once the task reaches a final event.
 */
export function useTaskProgress(taskId: string, initialStatus: string): { progress: TaskProgress; connection: StreamConnection } {
  const [progress, dispatch] = useReducer(applyProgressEvent, initialProgress(initialStatus));
  const [connection, setConnection] = useState<StreamConnection>("connecting");

  useEffect(() => {
    // EventSource resumes with Last-Event-ID on its own after a dropped connection.
    const source = new EventSource(`/api/v1/tasks/${taskId}/events`);
    const onEvent = (message: MessageEvent<string>) => dispatch(JSON.parse(message.data) as ProgressEvent);
    runEventTypes.forEach((type) => source.addEventListener(type, onEvent as EventListener));
    source.onopen = () => setConnection("live");
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setConnection("closed");
      else setConnection("reconnecting");
    };
    const finish = () => {
      source.close();
      setConnection("closed");
    };
    terminalEventTypes.forEach((type) => source.addEventListener(type, finish));
    // The server's word that the task is over (sent after its terminal event, or alone when that was seen or pruned).
    source.addEventListener("end", finish);
    return () => source.close();
  }, [taskId]);

  return { progress, connection };
}
