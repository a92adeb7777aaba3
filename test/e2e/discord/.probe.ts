import { REST } from '@discordjs/rest';
import { startFakeDiscord } from './fake-discord.js';
const fake = await startFakeDiscord();
const rest = new REST({ api: fake.apiUrl, timeout: 300 }).setToken('x');
const ch = fake.channelId('ops');
fake.fail('POST /channels/:id/messages', { drop: true });
try { const m = await rest.post(`/channels/${ch}/messages`, { body: { content: 'drop' } }); console.log('ok', (m as any).id); } catch (e) { console.log('ERR', (e as any).name, (e as any).code, (e as Error).message); }
fake.fail('POST /channels/:id/messages', { hang: true });
try { const m = await rest.post(`/channels/${ch}/messages`, { body: { content: 'hang' } }); console.log('ok', (m as any).id); } catch (e) { console.log('ERR', (e as any).name, (e as any).code, (e as Error).message); }
fake.fail('POST /channels/:id/messages', { status: 500 }, 5);
try { const m = await rest.post(`/channels/${ch}/messages`, { body: { content: '500' } }); console.log('ok', (m as any).id); } catch (e) { console.log('ERR', (e as any).name, (e as any).status, (e as Error).message); }
console.log(fake.calls.map((c) => `${c.method} ${c.path} ${c.status} ${c.fault ?? ''}`));
console.log(fake.messages(ch).map((m) => m.content));
await fake.close();
