// A qube's private volume is released at its stop even while a command runs in another qube (crun exec holds a private copy of the host's mounts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from './helpers/daemon.js';
import { coreDaemon, type CoreDaemon } from './core-fixture.js';
import { loopsOf } from '../../src/storage/image.js';

describe('volume copies in other mount namespaces', { timeout: 240_000 }, () => {
  let d: CoreDaemon;
  before(async () => {
    d = await coreDaemon('volcopy');
    for (const q of ['a', 'b']) d.ok(['create', q, '--template', 'debian-12', '--label', 'red']);
    d.ok(['start', 'a']);
    d.ok(['start', 'b']);
  });
  after(async () => {
    await d?.destroy();
  });

  it('a qube stops and starts again while a long command runs in another qube; its loop device is released', async () => {
    const img = join(d.home, 'qubes', 'a', 'private');
    assert.ok((await loopsOf(img)).length > 0, 'the private volume of a is a mounted image while a runs');
    // A command in b that outlives the stop of a: its crun exec copied the host's mounts (a's among them) when it began.
    const long = spawn(CLI, ['run', 'b', '--', 'sh', '-c', 'echo started; sleep 40'], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ended = new Promise<number>((r) => long.on('close', (c) => r(c ?? -1)));
    await new Promise<void>((resolve) => long.stdout.once('data', () => resolve()));
    try {
      const t0 = Date.now();
      const k = d.cli(['shutdown', '--wait', '--timeout', '30', 'a']);
      assert.equal(k.code, 0, `${k.stderr}${k.stdout}`);
      assert.deepEqual(await loopsOf(img), [], 'no loop device holds the image after the stop');
      const ms = Date.now() - t0;
      assert.ok(ms < 20_000, `stop took ${ms} ms`);
      d.ok(['start', 'a']);
      assert.equal(d.cli(['run', 'a', '--', 'true']).code, 0);
    } finally {
      long.kill('SIGKILL');
      await ended;
    }
  });
});
