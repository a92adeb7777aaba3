export default {
  version: 2,
  name: 'approvals: requests, votes, request messages',
  sql: `
CREATE TABLE approval_requests (
  id                TEXT PRIMARY KEY,
  system            TEXT NOT NULL,
  action            TEXT NOT NULL,
  params            JSONB NOT NULL,
  requester         TEXT NOT NULL,
  platform          TEXT NOT NULL,
  channel           TEXT NOT NULL,
  reason            TEXT,
  state             TEXT NOT NULL,
  approvals_needed  INT NOT NULL,
  approver_roles    JSONB NOT NULL,
  plan              JSONB NOT NULL,
  message_key       TEXT,
  created_at        TIMESTAMPTZ NOT NULL,
  expires_at        TIMESTAMPTZ NOT NULL,
  decided_at        TIMESTAMPTZ,
  executed_by       TEXT,
  heartbeat_at      TIMESTAMPTZ,
  finished_at       TIMESTAMPTZ,
  result            JSONB
);
CREATE INDEX approval_requests_state ON approval_requests (state);

CREATE TABLE approval_votes (
  request_id  TEXT NOT NULL REFERENCES approval_requests (id),
  person      TEXT NOT NULL,
  vote        TEXT NOT NULL,
  platform    TEXT NOT NULL,
  account     TEXT NOT NULL,
  at          TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (request_id, person)
);

-- Every chat message that shows a request (the origin, mirrors on other platforms): reactions on any of them vote.
CREATE TABLE approval_messages (
  message_key  TEXT PRIMARY KEY,
  request_id   TEXT NOT NULL REFERENCES approval_requests (id)
);
`,
};
