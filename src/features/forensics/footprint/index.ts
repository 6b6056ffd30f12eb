// Public surface of forensics/footprint: the table of artefacts, its patterns and renderings.
export { footprintTable, SETUP_PACKAGES, CLI_LINK, UNIT_DIR, type FootprintOptions } from './table.js';
export { patternRegExp, stateMatcher, fillPattern, type Matcher } from './patterns.js';
export { footprintJson, footprintText, footprintMarkdown, absolutePattern, LAYERS } from './render.js';
export type { Artefact, Layer, Presence, Scope } from './types.js';
