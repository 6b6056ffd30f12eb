// Qube classes as Qubes has them, and what each one's volumes do.
export const QUBE_CLASSES = ['admin', 'template', 'app', 'standalone', 'disposable'] as const;
export type QubeClass = (typeof QUBE_CLASSES)[number];
/** Classes a user may create directly (admin is the host; disposables come from a disposable template). */
export const CREATABLE_CLASSES = ['app', 'template', 'standalone'] as const;

/** Qubes' own class names, used by policy (@type:AppVM) and shown by `ls`. */
export const QUBES_CLASS_NAME: Record<QubeClass, string> = {
  admin: 'AdminVM',
  template: 'TemplateVM',
  app: 'AppVM',
  standalone: 'StandaloneVM',
  disposable: 'DispVM',
};

export function isQubeClass(v: unknown): v is QubeClass {
  return typeof v === 'string' && (QUBE_CLASSES as readonly string[]).includes(v);
}

/** Whether the class boots from a template (root = copy-on-write view, discarded at stop). */
export function usesTemplate(c: QubeClass): boolean {
  return c === 'app' || c === 'disposable';
}

/** Whether changes to `/` survive a stop. */
export function hasPersistentRoot(c: QubeClass): boolean {
  return c === 'template' || c === 'standalone';
}
