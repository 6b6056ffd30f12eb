// The title the admin side shows for a qube's window: `[NAME] ` and then the qube's own title (pure).

/** The qube's name comes from the daemon (the QUBE message), the rest from the qube: a forged `[x]` stays after the real prefix. */
export function composeTitle(qube: string, untrustedTitle: string): string {
  // The codec already made control characters U+FFFD; a title cannot end the line or move the prefix.
  return `[${qube}] ${untrustedTitle}`;
}

/** WM_CLASS: instance and class, each NUL-terminated (Latin-1; qube names are ASCII by the model's rule). */
export function wmClass(qube: string): string {
  return `bulkhead-${qube}\0Bulkhead\0`;
}
