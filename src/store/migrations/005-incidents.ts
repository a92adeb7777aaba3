export default {
  version: 5,
  name: 'incidents: incidents and their timeline events',
  sql: `
CREATE TABLE incidents (
  id                   TEXT PRIMARY KEY,
  title                TEXT NOT NULL,
  severity             TEXT NOT NULL,
  state                TEXT NOT NULL,
  systems              JSONB NOT NULL,
  declared_by          TEXT NOT NULL,
  commander            TEXT,
  scribe               TEXT,
  platform             TEXT NOT NULL,
  channel              TEXT NOT NULL,
  place                TEXT NOT NULL,
  summary_key          TEXT,
  status_line          TEXT NOT NULL DEFAULT '',
  created_at           TIMESTAMPTZ NOT NULL,
  last_update_at       TIMESTAMPTZ NOT NULL,
  resolved_at          TIMESTAMPTZ,
  resolution           TEXT,
  escalation_level     INT NOT NULL DEFAULT 0,
  last_snapshot_at     TIMESTAMPTZ,
  last_health          JSONB,
  review_complete      BOOLEAN NOT NULL DEFAULT false,
  reminders_sent       INT NOT NULL DEFAULT 0
);
CREATE INDEX incidents_state ON incidents (state);

CREATE TABLE incident_events (
  id           BIGSERIAL PRIMARY KEY,
  incident_id  TEXT NOT NULL REFERENCES incidents (id),
  at           TIMESTAMPTZ NOT NULL,
  kind         TEXT NOT NULL,
  actor        TEXT NOT NULL,
  text         TEXT NOT NULL,
  detail       JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);
`,
};
