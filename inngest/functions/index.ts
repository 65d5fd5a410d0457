import { agentFunctions, customAgentFunction } from "./agent";
import { coordinator } from "./coordinator";

/** Every function Chorus serves (embedded executor or `/api/inngest`). */
export const functions = [coordinator, ...Object.values(agentFunctions), customAgentFunction];
