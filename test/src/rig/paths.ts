/** Everything the rig creates is named with this prefix, so cleanup touches only its own. */
export const RIG_PREFIX = 'drvrig';
/** Runtime state (lock dirs, namespace pins); gone after a reboot, like what it describes. */
export const RIG_RUN_DIR = '/run/drover-rig';
/** Persistent per-host and operator-side data (docker data roots, registry storage, images cache). */
export const RIG_DATA_DIR = '/var/lib/drover-rig';
/** The operator side's address in the root namespace, reachable from every host through its NAT gateway. */
export const OPERATOR_ADDRESS = '10.253.0.1';
export const REGISTRY_PORT = 5443;
/** Highest rig slot; each slot owns 10.210.<slot>.0/24 (WAN) and 10.211.<slot>.0/24 (LAN). */
export const MAX_SLOTS = 200;
