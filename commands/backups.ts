import { z } from 'zod';
import { defineCommand, whenSomeAction } from '../src/core/command.js';
import { arg } from '../src/core/args.js';
import { listBackups, humanBytes } from '../src/integrations/backup/store.js';
import { describeContents } from '../src/integrations/backup/backup-steps.js';

export default defineCommand({
  name: 'backups',
  offered: whenSomeAction((a) => a === 'backup' || a.startsWith('backup-')),
  description: "A system's backups, newest first: id (for restore), time, contents, size, checksum, file",
  args: {
    system: arg.system(),
    label: z.string().min(1).describe('only backups with this label').optional(),
  },
  flags: { limit: z.coerce.number().int().min(1).max(100).default(20).describe('how many to show') },
  examples: ['/backups mpc-wallet', '/backups mpc-wallet main-db --limit 5'],
  async run(ctx, { system, label, limit }) {
    ctx.services.checks.system(system);
    const { backups, problems } = await listBackups(system);
    const shown = backups.filter((b) => !label || b.label === label);
    if (shown.length === 0) {
      return { title: `Backups · ${system}`, status: 'info', text: `No backups${label ? ` labelled ${label}` : ''} of ${system} yet. Take one with /backup ${system}.` };
    }
    return {
      title: `Backups · ${system}: ${shown.length}${label ? ` labelled ${label}` : ''}`,
      status: 'info',
      table: {
        columns: ['backup', 'taken (UTC)', 'contents', 'size', 'sha256', 'file'],
        // The file relative to the backup directory (KEYTURN_BACKUP_DIR): where it is on the server is not the chat's business.
        rows: shown.slice(0, limit).map((b) => [b.id, b.createdAt.slice(0, 19).replace('T', ' '), describeContents(b), humanBytes(b.bytes), `${b.sha256.slice(0, 12)}…`, `${system}/${b.file}`]),
      },
      fields: problems.length ? [{ label: 'unreadable manifests', value: problems.join('\n') }] : undefined,
      footer: shown.length > limit ? `${limit} of ${shown.length} shown` : undefined,
    };
  },
});
