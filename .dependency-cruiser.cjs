/**
 * Import rules checked by test/unit/architecture/no-cycles.test.ts (and so by `npm test` in CI).
 * swc parses TypeScript (this repo's typescript 7 has no JS API); tsPreCompilationDeps keeps
 * type-only imports in the graph, so a type-only cycle fails like any other.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only included: shared shapes go in src/core/contracts.ts (which imports nothing).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
