import { nodeCommand } from '../src/approvals/node-command.js';

export default nodeCommand('unban', "Lift a node's ban (the system's unban action: shows the ban record, needs approvals)", [
  '/unban mpc-wallet node-3',
  '/unban mpc-wallet node-3 --reason "false positive, keys rotated"',
]);
