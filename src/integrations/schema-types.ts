/** The shape of one integration's config: what src/integrations/schemas.ts collects from each folder's schema.ts. */
import type { z } from 'zod';

/** A check or step kind's schema: an object told apart by its `kind` literal (zod's discriminated-union member). */
type KindSchema = z.core.$ZodTypeDiscriminable;

/** Load-time references from checks and steps to the system's settings, reported with the field's path. */
export type CrossCheck = (systemName: string, sys: never, ctx: z.RefinementCtx) => void;

export interface IntegrationSchema {
  /** The folder's name under src/integrations. */
  name: string;
  /** Fields this integration adds to a system (`docker`, `databases`, `etcd`...), all optional. */
  connection: Record<string, z.ZodType>;
  checks: readonly KindSchema[];
  steps: readonly KindSchema[];
}
