// Whonix's uniform workstation identity: every workstation looks the same to whatever it talks to.
export const WS_HOSTNAME = 'host';
export const WS_USER = 'user';
export const WS_TIMEZONE = 'UTC';
/** Whonix ships one fixed machine-id for every workstation. */
export const WS_MACHINE_ID = 'b08dfa6083e7567a1921a715000001fb';
/** The same addresses on every workstation's own link (Whonix 10.152.152.0/18). */
export const WS_ADDR = '10.152.152.11';
export const GW_ADDR = '10.152.152.10';
