export default {
  version: 3,
  name: 'alerts: payloads, alerts, groups, threads, page requests, leases, schedule claims',
  sql: `
-- Every accepted webhook body, verbatim, stored before the sender gets its 2xx.
CREATE TABLE alert_payloads (
  id           BIGSERIAL PRIMARY KEY,
  source       TEXT NOT NULL,
  received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  alert_count  INT NOT NULL,
  body         JSONB NOT NULL
);

-- One row per alert notification in a payload, normalised; processed in id order into groups.
CREATE TABLE alerts (
  id            BIGSERIAL PRIMARY KEY,
  payload_id    BIGINT NOT NULL REFERENCES alert_payloads (id),
  group_key     TEXT NOT NULL,
  fingerprint   TEXT NOT NULL,
  status        TEXT NOT NULL,
  alertname     TEXT NOT NULL,
  severity      TEXT NOT NULL,
  system        TEXT,
  summary       TEXT NOT NULL,
  labels        JSONB NOT NULL,
  annotations   JSONB NOT NULL,
  url           TEXT,
  starts_at     TIMESTAMPTZ,
  ends_at       TIMESTAMPTZ,
  received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  processed_at  TIMESTAMPTZ
);
CREATE INDEX alerts_unprocessed ON alerts (id) WHERE processed_at IS NULL;
CREATE INDEX alerts_group ON alerts (group_key, id);

-- An alert group: one thread in chat, one PagerDuty incident (dedup_key).
CREATE TABLE alert_groups (
  group_key       TEXT PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  dedup_key       TEXT NOT NULL,
  source          TEXT NOT NULL,
  alertname       TEXT NOT NULL,
  system          TEXT,
  severity        TEXT NOT NULL,
  summary         TEXT NOT NULL,
  labels          JSONB NOT NULL,
  url             TEXT,
  channel         TEXT,
  page            BOOLEAN NOT NULL,
  status          TEXT NOT NULL,
  firing_count    INT NOT NULL,
  resolved_count  INT NOT NULL,
  active          INT NOT NULL,
  members         INT NOT NULL,
  first_seen      TIMESTAMPTZ NOT NULL,
  last_seen       TIMESTAMPTZ NOT NULL,
  firing_since    TIMESTAMPTZ,
  resolved_at     TIMESTAMPTZ,
  page_state      TEXT NOT NULL DEFAULT 'none',
  acked_by        TEXT,
  acked_at        TIMESTAMPTZ,
  silenced_until  TIMESTAMPTZ,
  silenced_by     TEXT,
  version         BIGINT NOT NULL,
  first_alert_id  BIGINT NOT NULL,
  last_alert_id   BIGINT NOT NULL,
  last_note_id    BIGINT NOT NULL DEFAULT 0,
  chat_pending    BOOLEAN NOT NULL DEFAULT false,
  pending_since   TIMESTAMPTZ
);
CREATE INDEX alert_groups_status ON alert_groups (status, last_seen);
CREATE INDEX alert_groups_chat_pending ON alert_groups (pending_since) WHERE chat_pending;

-- Per alert (fingerprint) in a group: is it firing now. A group fires while any member fires.
CREATE TABLE alert_members (
  group_key    TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  status       TEXT NOT NULL,
  PRIMARY KEY (group_key, fingerprint)
);

-- Things said about a group in its thread besides alerts (acknowledged by ...).
CREATE TABLE alert_notes (
  id         BIGSERIAL PRIMARY KEY,
  group_key  TEXT NOT NULL,
  text       TEXT NOT NULL,
  at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX alert_notes_group ON alert_notes (group_key, id);

-- A chat thread on one platform channel: one group, or several that arrived together in a storm.
CREATE TABLE alert_threads (
  id               BIGSERIAL PRIMARY KEY,
  platform         TEXT NOT NULL,
  channel          TEXT NOT NULL,
  root_key         TEXT NOT NULL UNIQUE,
  storm            BOOLEAN NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  root_updated_at  TIMESTAMPTZ
);

-- Which thread shows a group on a platform channel, and how much of the group it has shown.
CREATE TABLE alert_group_threads (
  group_key        TEXT NOT NULL,
  platform         TEXT NOT NULL,
  channel          TEXT NOT NULL,
  thread_id        BIGINT NOT NULL REFERENCES alert_threads (id),
  shown_alert_id   BIGINT NOT NULL,
  shown_note_id    BIGINT NOT NULL,
  root_version     BIGINT NOT NULL,
  PRIMARY KEY (group_key, platform, channel)
);
CREATE INDEX alert_group_threads_thread ON alert_group_threads (thread_id);

-- PagerDuty Events v2 requests (alert groups, incidents), sent in order per dedup_key and retried with
-- backoff until accepted. The routing key is looked up at send time from route (labels) or the default.
CREATE TABLE page_requests (
  id               BIGSERIAL PRIMARY KEY,
  subject          TEXT NOT NULL,
  group_key        TEXT,
  route            JSONB,
  dedup_key        TEXT NOT NULL,
  action           TEXT NOT NULL,
  payload          JSONB NOT NULL,
  state            TEXT NOT NULL DEFAULT 'pending',
  attempts         INT NOT NULL DEFAULT 0,
  next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error       TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  sent_at          TIMESTAMPTZ
);
CREATE INDEX page_requests_pending ON page_requests (dedup_key, id) WHERE state = 'pending';

-- Which replica runs a background loop (alert processing, chat pacing, paging).
CREATE TABLE leases (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL
);

-- One row per schedule tick: the replica that inserts it runs the tick (node-cron runCoordinator).
CREATE TABLE schedule_claims (
  key          TEXT PRIMARY KEY,
  job          TEXT NOT NULL,
  holder       TEXT NOT NULL,
  claimed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at   TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ,
  status       TEXT,
  summary      TEXT
);
CREATE INDEX schedule_claims_job ON schedule_claims (job, claimed_at);
`,
};
