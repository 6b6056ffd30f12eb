// Drives attacker.py inside a workstation's namespaces (as root with the kernel's full network privileges there).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface AttackResult {
  ok: boolean;
  note: string;
  breach: string[];
  secs: number;
}

const SCRIPT = readFileSync(new URL('./attacker.py', import.meta.url), 'utf8');

export class Attacker {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (r: AttackResult) => void>();
  private nextId = 1;
  stderr = '';

  /**
   * Enter the network, mount, UTS, IPC and PID namespaces of the workstation's init (`initPid`)
   * but not its user namespace: root there holds NET_RAW and NET_ADMIN over the workstation's own
   * network namespace, which the qube's root cannot (that namespace belongs to the host's user namespace).
   */
  constructor(initPid: number) {
    this.child = spawn('nsenter', ['-t', String(initPid), '-n', '-m', '-u', '-i', '-p', '--', 'python3', '-u', '-c', SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let r: AttackResult & { id: number };
      try {
        r = JSON.parse(line) as AttackResult & { id: number };
      } catch {
        return;
      }
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call(op: string, args: Record<string, unknown> = {}, timeoutMs = 90_000): Promise<AttackResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ ok: false, note: `no answer in ${timeoutMs} ms; attacker stderr: ${this.stderr.slice(-300)}`, breach: [], secs: timeoutMs / 1000 });
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.child.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  /** End python (its stdin closes), then kill by PID what is left: nsenter's child first, nsenter itself. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (!pid || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const timer = setTimeout(() => {
      for (const c of childrenOf(pid)) {
        try {
          process.kill(c, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 3000);
    await gone;
    clearTimeout(timer);
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
