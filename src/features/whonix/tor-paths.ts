// Where tor's files are inside a gateway qube (paths in the qube; the admin side never opens them).
export const TOR_DATA_DIR_IN_QUBE = '/var/lib/bulkhead-tor';
/** The admin's generated files (torrc, supervisor), mounted read-only. */
export const TOR_FILES_DIR_IN_QUBE = '/etc/bulkhead-tor';
