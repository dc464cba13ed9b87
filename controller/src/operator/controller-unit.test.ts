import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerUnit, serveArgv, shellWord, systemdWord } from './controller-unit.js';

const options = { node: '/usr/bin/node', drover: '/opt/drover/controller/dist/drover/main.js', listen: '0.0.0.0:7443', dataDir: '/var/lib/drover', publicUrl: 'https://ctl.example.com:7443' };

test('the controller unit, exactly', () => {
  assert.equal(controllerUnit(options), `# Written by \`drover controller install\`; run it again to change these options.
[Unit]
Description=Drover controller
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/bin/node /opt/drover/controller/dist/drover/main.js controller serve --listen 0.0.0.0:7443 --data-dir /var/lib/drover --public-url https://ctl.example.com:7443
Restart=always
RestartSec=2
TimeoutStopSec=30
UMask=0077
LimitNOFILE=65536
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ReadWritePaths=/var/lib/drover

[Install]
WantedBy=multi-user.target
`);
});

test('without --public-url the serve command has none', () => {
  assert.deepEqual(serveArgv({ ...options, publicUrl: null }).slice(2), ['controller', 'serve', '--listen', '0.0.0.0:7443', '--data-dir', '/var/lib/drover']);
});

test('ExecStart words: quoted only when needed, with systemd escapes for quotes, backslashes, specifiers and variables', () => {
  assert.equal(systemdWord('/usr/local/bin/node'), '/usr/local/bin/node');
  assert.equal(systemdWord('/home/ops/my drover/main.js'), '"/home/ops/my drover/main.js"');
  assert.equal(systemdWord('/a"b\\c'), '"/a\\"b\\\\c"');
  assert.equal(systemdWord('/100%/$HOME'), '"/100%%/$$HOME"');
  assert.throws(() => systemdWord('/a\nb'), /cannot put "\/a\\nb" in a systemd unit: it holds a control character/);
});

test('the command printed for hosts without systemd is one shell line', () => {
  assert.equal(shellWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(shellWord("/srv/it's here"), `'/srv/it'\\''s here'`);
});
