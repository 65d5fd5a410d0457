import { agentFunctions, customAgentFunction } from "./agent";
import { coordinator } from "./coordinator";
import { evalExperiment } from "./eval-experiment";
import { webhookDelivery } from "./webhook-delivery";

/** Every function Chorus serves (embedded executor or `/api/inngest`). */
export const functions = [coordinator, ...Object.values(agentFunctions), customAgentFunction, webhookDelivery, evalExperiment];
