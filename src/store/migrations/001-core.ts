export default {
  version: 1,
  name: 'core: audit log, chat messages, outbox, processed events',
  sql: `
CREATE TABLE audit_log (
  id         BIGSERIAL PRIMARY KEY,
  at         TIMESTAMPTZ NOT NULL,
  actor      TEXT NOT NULL,
  platform   TEXT NOT NULL,
  kind       TEXT NOT NULL,
  subject    TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  detail     JSONB NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);

-- One row per message the bot sent or will send; platform_id is filled on delivery.
CREATE TABLE chat_messages (
  key          TEXT PRIMARY KEY,
  platform     TEXT NOT NULL,
  channel      TEXT NOT NULL,
  thread_key   TEXT,
  platform_id  TEXT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX chat_messages_platform_id ON chat_messages (platform, channel, platform_id);

CREATE TABLE outbox (
  id               BIGSERIAL PRIMARY KEY,
  platform         TEXT NOT NULL,
  op               TEXT NOT NULL,
  message_key      TEXT NOT NULL,
  payload          JSONB NOT NULL,
  state            TEXT NOT NULL DEFAULT 'pending',
  attempts         INT NOT NULL DEFAULT 0,
  next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error       TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  sent_at          TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (platform, id) WHERE state = 'pending';

-- Chat events (reactions, interactions) seen, so retries and several replicas act once.
CREATE TABLE processed_events (
  platform  TEXT NOT NULL,
  event_id  TEXT NOT NULL,
  at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (platform, event_id)
);

-- Which replica drains a platform's outbox (order needs one drainer at a time).
CREATE TABLE outbox_leases (
  platform    TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL
);
`,
};
