import { verbCommand } from '../src/approvals/request-command.js';

export default verbCommand('pause', "Pause a system or one of its parts (the system's pause action, with approvals)", [
  '/pause dytallix faucet --reason "drain suspected"',
  '/pause musd',
]);
