export default {
  version: 10,
  name: 'ignored_votes: one reply and coalesced audit rows per (request, account) for votes that do not count',
  sql: `
CREATE TABLE ignored_votes (
  request_id  TEXT NOT NULL,
  platform    TEXT NOT NULL,
  account     TEXT NOT NULL,
  count       INT NOT NULL DEFAULT 0,
  first_at    TIMESTAMPTZ NOT NULL,
  last_at     TIMESTAMPTZ NOT NULL,
  replied_at  TIMESTAMPTZ,
  PRIMARY KEY (request_id, platform, account)
);
CREATE INDEX ignored_votes_replies ON ignored_votes (platform, account, replied_at);
`,
};
