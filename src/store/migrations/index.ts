/** Versioned migrations, applied in order at start. Append new files; never edit an applied one. */
import core from './001-core.js';
import approvals from './002-approvals.js';
import alerts from './003-alerts.js';
import incidents from './005-incidents.js';
import oneLeaseTable from './006-one-lease-table.js';
import eventClaims from './007-event-claims.js';
import boundPlans from './008-bound-plans.js';
import metricSamples from './009-metric-samples.js';
import ignoredVotes from './010-ignored-votes.js';
import countersigns from './011-countersigns.js';
import voteStoredBy from './012-vote-stored-by.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [core, approvals, alerts, incidents, oneLeaseTable, eventClaims, boundPlans, metricSamples, ignoredVotes, countersigns, voteStoredBy];
