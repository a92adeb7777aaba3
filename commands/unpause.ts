import { verbCommand } from '../src/approvals/request-command.js';

export default verbCommand('unpause', "Resume what /pause stopped (the system's unpause action, with approvals)", ['/unpause dytallix faucet', '/unpause musd']);
