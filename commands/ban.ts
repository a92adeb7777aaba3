import { nodeCommand } from '../src/approvals/node-command.js';

export default nodeCommand('ban', "Ban a node from the cluster (the system's ban action, with approvals)", [
  '/ban mpc-wallet node-3 --reason "byzantine signatures"',
]);
