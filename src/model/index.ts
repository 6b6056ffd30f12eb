// Public surface of model/: qubes, classes, labels, properties, names.
export * from './names.js';
export * from './labels.js';
export * from './classes.js';
export * from './qube.js';
export * from './properties.js';
export * from './anonymity.js';
export * from './chain-order.js';
