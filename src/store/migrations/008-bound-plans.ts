export default {
  version: 8,
  name: 'approvals: a request binds a plan (hash), votes count for that hash, secret parameters sealed',
  sql: `
-- The canonical plan resolved at request time (secrets as references) and its sha256.
ALTER TABLE approval_requests ADD COLUMN plan_hash TEXT;
ALTER TABLE approval_requests ADD COLUMN bound_plan JSONB;
-- Secret parameter values, AES-256-GCM under KEYTURN_SECRET_KEY; NULL once the request has ended.
ALTER TABLE approval_requests ADD COLUMN sealed_params TEXT;
-- The plan hash the voter saw: a vote counts only for the plan it was given on.
ALTER TABLE approval_votes ADD COLUMN plan_hash TEXT;
`,
};
