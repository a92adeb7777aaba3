export default {
  version: 12,
  name: 'approval_votes.stored_by: the replica that stored a vote, so the sweep starts an approved request only once that replica is gone',
  sql: `
ALTER TABLE approval_votes ADD COLUMN stored_by TEXT;
`,
};
