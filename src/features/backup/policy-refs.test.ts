// Which policy lines name a qube: whole words only, comments ignored.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { referencingLines } from './policy-refs.js';

it('finds the lines naming a qube as a word of its own', () => {
  const text = [
    'qubes.Filecopy * work vault allow',
    'qubes.Filecopy * @anyvm @anyvm ask default_target=work',
    'qubes.OpenInVM * @anyvm @dispvm:work allow',
    '# work is mentioned in a comment only',
    'qubes.Filecopy * workshop vault deny',
    'qubes.Filecopy * my-work vault deny',
  ].join('\n');
  assert.deepEqual(
    referencingLines(text, 'work').map((r) => r.line),
    [1, 2, 3],
  );
  assert.deepEqual(
    referencingLines('a * x.y z allow', 'x.y').map((r) => r.line),
    [1],
  );
  assert.deepEqual(referencingLines('a * xzy z allow', 'x.y'), [], 'a dot in the name is not a wildcard');
});
