export default {
  version: 6,
  name: 'leases: the outbox uses the named leases table; drop its own',
  sql: `
DROP TABLE IF EXISTS outbox_leases;
`,
};
