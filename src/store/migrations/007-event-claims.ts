export default {
  version: 7,
  name: 'processed_events: a claim is done only once its work is stored',
  sql: `
-- Rows written before this migration were claimed and handled in one go: done.
ALTER TABLE processed_events ADD COLUMN done BOOLEAN NOT NULL DEFAULT true;
`,
};
