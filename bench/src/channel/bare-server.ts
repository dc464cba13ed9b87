// Baseline for the channel benchmark: the same HTTPS + websocket stack and the
// same certificate as the controller, but no protocol and no authentication.
// Every connection gets one frame right after the upgrade. Prints its port.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';

const [certDir, host] = process.argv.slice(2) as [string, string];
const server = createServer({ cert: readFileSync(join(certDir, 'cert.pem')), key: readFileSync(join(certDir, 'key.pem')) });
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
  ws.on('error', () => {});
  ws.send('{"t":"welcome"}');
}));
server.listen(0, host, () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => process.exit(0));
