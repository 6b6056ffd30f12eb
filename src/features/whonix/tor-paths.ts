// Where tor's files are inside a gateway qube (paths in the qube; the admin side never opens them).
export const TOR_DATA_DIR_IN_QUBE = '/var/lib/bulkhead-tor';
/** The admin's generated files (torrc, supervisor), mounted read-only. */
export const TOR_FILES_DIR_IN_QUBE = '/etc/bulkhead-tor';
/** Below the admin's directory of a gateway: the files mounted at TOR_FILES_DIR_IN_QUBE. */
export const GATEWAY_TOR_SUBDIR = 'tor';
/** Root-only file of the admin's directory of a gateway: tor's control password of this start. */
export const CONTROL_PASSWORD_FILE = 'control-password';
/** The pid record of a gateway's control filter (pid and start time), in the admin's directory of the gateway. */
export const CONTROL_FILTER_PID_FILE = 'control-filter.pid';
/** Identity files of a workstation, each bind-mounted read-only at /etc/NAME. */
export const WORKSTATION_FILES = ['machine-id', 'timezone', 'resolv.conf', 'hosts'] as const;
/** Below the admin's directory of a workstation: its browser's policies and prefs, each bind-mounted read-only (gateway/browser-config.ts). */
export const WORKSTATION_BROWSER_SUBDIR = 'browser';
export const WORKSTATION_BROWSER_FILES = { policies: 'policies.json', prefs: 'bulkhead-workstation.js' } as const;
