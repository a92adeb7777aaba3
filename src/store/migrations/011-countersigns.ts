export default {
  version: 11,
  name: 'countersigns: break-glass requests that ran before their second person signed, and what happened when nobody did',
  sql: `
CREATE TABLE countersigns (
  request_id       TEXT PRIMARY KEY REFERENCES approval_requests(id),
  roles            JSONB NOT NULL,
  severity         TEXT NOT NULL,
  within_ms        BIGINT NOT NULL,
  opened_at        TIMESTAMPTZ NOT NULL,
  due_at           TIMESTAMPTZ NOT NULL,
  signed_by        TEXT,
  signed_at        TIMESTAMPTZ,
  escalated_at     TIMESTAMPTZ,
  incident_id      TEXT
);
CREATE INDEX countersigns_due ON countersigns (due_at) WHERE signed_at IS NULL AND escalated_at IS NULL;
`,
};
