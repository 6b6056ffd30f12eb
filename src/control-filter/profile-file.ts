// Loads a control-filter profile from a JSON file, naming the file in every error.
import { readFile } from 'node:fs/promises';
import { BulkheadError } from '../errors/index.js';
import { parseProfile, type ControlProfile } from '../gateway/index.js';

export async function loadProfile(path: string): Promise<ControlProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new BulkheadError('ERR_INVALID_VALUE', `${path}: cannot read profile: ${(e as Error).message}`, { cause: e });
  }
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(text);
  } catch (e) {
    throw new BulkheadError('ERR_INVALID_VALUE', `${path}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseProfile(untrusted, path);
}
