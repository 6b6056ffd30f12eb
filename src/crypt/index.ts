// Public surface of crypt/: encrypted qube volumes (fscrypt keys, key files, passphrases).
export * from './keyfile.js';
export * from './fscrypt.js';
export * from './volume-key.js';
