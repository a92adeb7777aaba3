/** The shape of one integration's config: what src/integrations/schemas.ts collects from each folder's schema.ts. */
import type { z } from 'zod';
import type { CrossCheck } from './crosscheck-helpers.js';

/** A check or step kind's schema: an object told apart by its `kind` literal (zod's discriminated-union member). */
type KindSchema = z.core.$ZodTypeDiscriminable;


export interface IntegrationSchema {
  /** The folder's name under src/integrations. */
  name: string;
  /** Fields this integration adds to a system (`docker`, `databases`, `etcd`...), all optional. */
  connection: Record<string, z.ZodType>;
  checks: readonly KindSchema[];
  steps: readonly KindSchema[];
  /** Load-time references from its checks and steps to the system's settings, reported with the field's path. */
  crossCheck?: CrossCheck;
}
