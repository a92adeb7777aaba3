/** A check kind's runner shape lives with the integrations' contracts (src/integrations/contracts.ts); re-exported for older imports. */
export type { CheckContext, CheckKindRunner } from '../integrations/contracts.js';
