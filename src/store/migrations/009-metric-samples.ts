export default {
  version: 9,
  name: 'metric_samples: the previous raw scrape of each metrics check target, for rates across runs',
  sql: `
-- One row per (system, check, target): the last scrape's samples the thresholds read, and the rates
-- measured then (a "drop" threshold compares with them). Overwritten on every run.
CREATE TABLE metric_samples (
  system      TEXT NOT NULL,
  check_name  TEXT NOT NULL,
  target      TEXT NOT NULL,
  taken_at    TIMESTAMPTZ NOT NULL,
  samples     JSONB NOT NULL,
  rates       JSONB NOT NULL DEFAULT '{}',
  PRIMARY KEY (system, check_name, target)
);
`,
};
