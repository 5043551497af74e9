/**
 * `npm run emulator -- --port PORT --data-dir DIR [--operation-ms N] [--replication-ms N]`
 * Starts the local Azure stand-in and prints one JSON line when ready.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'login-port': { type: 'string', default: '0' },
    'blob-port': { type: 'string', default: '0' },
    'data-dir': { type: 'string', default: '.emulator' },
    'operation-ms': { type: 'string' },
    'replication-ms': { type: 'string' },
  },
});

const number = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got '${raw}'`);
    process.exit(2);
  }
  return n;
};

const settings: Record<string, number> = {};
const op = number('operation-ms', values['operation-ms']);
const rep = number('replication-ms', values['replication-ms']);
if (op !== undefined) settings.operationMs = op;
if (rep !== undefined) settings.replicationMs = rep;

const emulator = await startEmulator({
  dataDir: values['data-dir']!,
  port: number('port', values.port),
  loginPort: number('login-port', values['login-port']),
  blobPort: number('blob-port', values['blob-port']),
  settings,
});
const { arm: _arm, faults: _faults, close: _close, ...ready } = emulator;
process.stdout.write(JSON.stringify(ready) + '\n');

const stop = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
