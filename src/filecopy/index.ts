// Public surface of the file-copy stream: format, name rules, encoder and validating decoder.
export { codePointAllowed, validatePath, validFileName, validSymlink } from './names.js';
export { crc32 } from './crc32.js';
export {
  HEADER_SIZE,
  RESULT_SIZE,
  MAX_PATH_LENGTH,
  S_IFMT,
  S_IFREG,
  S_IFDIR,
  S_IFLNK,
  Errno,
  encodeHeader,
  decodeHeader,
  encodeResult,
  decodeResult,
  displayName,
  type FileHeader,
  type CopyResult,
} from './format.js';
export { encodeEntry, encodeStream, endMarker, type Entry } from './encode.js';
export { FilecopyReader, FilecopyError, decodeStream, type FilecopyEvent, type ReaderLimits } from './reader.js';
