import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUserError } from '@drover/shared';
import { shellSplit } from '@drover/shared/secrets/shellwords';
import { parseOnly } from './framework/run.js';
import { DROVER } from './tree.js';

// Real command lines from Kamal's documentation and README, with `kamal` replaced by `drover`:
// each must name a command and options Drover knows (a Kamal user changes only the binary name).
const KAMAL_LINES = `
kamal init
kamal setup
kamal deploy
kamal deploy -d staging
kamal deploy --skip-push
kamal deploy -P --version abc123
kamal deploy --roles=web
kamal deploy -r web,workers --hosts 1.1.1.1
kamal deploy --hosts=1.1.1.1,1.1.1.2
kamal deploy -p
kamal deploy -c config/deploy.staging.yml
kamal deploy --skip-hooks
kamal deploy -H
kamal deploy --lock-wait --lock-wait-timeout=600 --lock-wait-interval 5
kamal deploy --no-cache
kamal deploy -q
kamal deploy --verbose
kamal redeploy
kamal redeploy -P
kamal rollback e5d9d7c2b898289dfbc5f7f1334140d984eedae4
kamal rollback 6ef8a6a84c525b123c5245345a8483f86d05a123 -d staging
kamal remove
kamal remove -y
kamal remove --confirmed
kamal details
kamal details -q
kamal audit
kamal config
kamal config -d production
kamal docs
kamal docs proxy
kamal version
kamal upgrade
kamal upgrade --rolling -y
kamal app boot
kamal app boot --version=abc123
kamal app start
kamal app stop
kamal app details
kamal app containers
kamal app images
kamal app version
kamal app live
kamal app maintenance
kamal app maintenance --drain-timeout=30 --message="Back soon"
kamal app stale_containers
kamal app stale_containers --stop
kamal app stale_containers -s
kamal app remove
kamal app exec 'bin/rails about'
kamal app exec -i 'bin/rails console'
kamal app exec -i --reuse bash
kamal app exec --reuse "bin/rails db:migrate"
kamal app exec --primary --reuse "tail -f log/production.log"
kamal app exec --env RAILS_ENV=test -p ls
kamal app exec -e DEBUG:1 ls
kamal app exec --detach "bin/jobs"
kamal app exec --raw -p 'cat /etc/hostname'
kamal app exec --roles=web 'ps aux'
kamal app logs
kamal app logs -f
kamal app logs --follow --roles=web
kamal app logs -g 'GET /up' -n 10
kamal app logs --grep=error --grep-options='-i'
kamal app logs --since=5m -T
kamal app logs --lines 500 --container-id abc123
kamal accessory boot db
kamal accessory boot all
kamal accessory reboot redis
kamal accessory start db
kamal accessory stop db
kamal accessory restart db
kamal accessory details db
kamal accessory details all
kamal accessory exec db 'mysql -u root'
kamal accessory exec -i --reuse db bash
kamal accessory logs db
kamal accessory logs db -f
kamal accessory logs redis --since 10m --grep ready
kamal accessory remove db
kamal accessory remove all -y
kamal accessory upgrade all --rolling -y
kamal proxy boot
kamal proxy reboot
kamal proxy reboot --rolling
kamal proxy reboot -y
kamal proxy start
kamal proxy stop
kamal proxy restart
kamal proxy details
kamal proxy logs
kamal proxy logs -f
kamal proxy logs --lines 50 --grep 'Request'
kamal proxy remove
kamal proxy remove --force
kamal proxy boot_config set --publish=false
kamal proxy boot_config set --http-port 8080 --https-port 8443
kamal proxy boot_config set --docker-options label=foo=bar --docker-options add-host=db:1.2.3.4
kamal proxy boot_config get
kamal proxy boot_config reset
kamal build push
kamal build push --output=docker
kamal build pull
kamal build deliver
kamal build details
kamal build dev
kamal build dev --no-cache
kamal build create
kamal build remove
kamal prune all
kamal prune images
kamal prune containers
kamal prune containers --retain 3
kamal registry setup
kamal registry login
kamal registry login -L
kamal registry logout -R
kamal registry remove --skip-local
kamal lock status
kamal lock acquire -m "Doing maintenance"
kamal lock acquire --message="Fixing the database"
kamal lock release
kamal secrets fetch --adapter 1password --account myaccount --from MyVault/MyItem REGISTRY_PASSWORD DB_PASSWORD
kamal secrets fetch -a bitwarden --account email@example.com MyItem/REGISTRY_PASSWORD
kamal secrets extract REGISTRY_PASSWORD '{"MyItem/REGISTRY_PASSWORD":"x"}'
kamal secrets print
kamal server exec date
kamal server exec -p 'uname -a'
kamal server exec --interactive 'bash'
kamal server bootstrap
`;

test('every Kamal command line from the docs parses as a drover command line', () => {
  const lines = KAMAL_LINES.trim().split('\n');
  assert.ok(lines.length > 120);
  for (const line of lines) {
    const argv = shellSplit(line.replace(/^kamal /, ''));
    try {
      parseOnly(DROVER, argv);
    } catch (err) {
      assert.ok(isUserError(err), `${line}: ${String(err)}`);
      assert.fail(`drover ${line.slice(6)}: ${err.message.split('\n')[0]}`);
    }
  }
});

test('an unknown command or option is reported, so the walk above can fail', () => {
  assert.throws(() => parseOnly(DROVER, ['app', 'frobnicate']), /unknown command "app frobnicate"/);
  assert.throws(() => parseOnly(DROVER, ['deploy', '--frobnicate']), /Unknown option '--frobnicate'/);
});

