import { z } from "zod";

/**
 * The inputs of the experiment routes and procedures besides starting one (`startExperimentInput`
 * is in eval-schemas.ts): which experiment, which experiments to list, which two to compare.
 */

// Row ids are letters and digits: anything else (a NUL, a quote) is refused here, never sent to SQL.
export const experimentId = z
  .string({ error: "id is required" })
  .min(1, "id must not be empty")
  .regex(/^[a-z0-9]{1,64}$/i, "id is not an experiment id");

export const experimentIdInput = z.strictObject({ id: experimentId });

export const listExperimentsInput = z.strictObject({
  datasetId: z
    .string()
    .regex(/^[a-z0-9]{1,64}$/i, "datasetId is not a dataset id")
    .optional()
    .meta({ description: "Only this dataset's experiments" }),
  limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: "At most this many, newest first" }),
});

export const compareExperimentsInput = z.strictObject({
  a: experimentId.meta({ description: "The baseline experiment" }),
  b: experimentId.meta({ description: "The candidate experiment (deltas are b − a)" }),
});
