/**
 * `camrtc hash-password` as a user runs it: the password on standard input (a pipe, or typed at a
 * terminal without echo), the hash on stdout and usable by a login, the configuration hint on stderr,
 * and the password in no output. The terminal case runs the bin under a pseudo-terminal (python3's pty).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { distPath } from '../../helpers/paths.js';
import { verifyPassword } from '../../../server/src/auth/passwordHash.js';
import { UserSchema } from '../../../server/src/auth/authConfig.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const BIN = distPath('server/src/main.js');

/** Runs `camrtc hash-password ARGS` with `input` piped to its stdin. */
function hashPassword(args: string[], input: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'hash-password', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const run: Run = { code: null, stdout: '', stderr: '' };
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      run.code = code;
      resolve(run);
    });
    child.stdin.end(input);
  });
}

/**
 * Types `answers` at the prompts of `camrtc hash-password` in a pseudo-terminal, each after its prompt
 * appeared; returns everything the terminal showed.
 */
const PTY_DRIVER = `
import os, pty, select, sys, time, json
node, bin, answers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execv(node, [node, bin, 'hash-password'])
out = b''
def read(until, seconds):
    global out
    end = time.time() + seconds
    while time.time() < end and (until is None or until not in out):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
for prompt, answer in answers:
    read(prompt.encode(), 10)
    os.write(fd, answer.encode())
read(None, 10)
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'output': out.decode('utf8', 'replace')}))
`;

function atTerminal(answers: Array<[prompt: string, typed: string]>): { code: number; output: string } {
  const r = spawnSync('python3', ['-c', PTY_DRIVER, process.execPath, BIN, JSON.stringify(answers)], { encoding: 'utf8', timeout: 40_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { code: number; output: string };
}

const noPython = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0 ? undefined : 'python3 with pty is not available';

describe('camrtc hash-password', () => {
  it('from a pipe: the first line is the password, the argon2id hash on stdout verifies it', async () => {
    const run = await hashPassword([], 'S3cret pass phrase\nsecond line\n');
    assert.equal(run.code, 0, run.stderr);
    const hash = run.stdout.trim();
    assert.match(run.stdout, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[^\n]+\n$/);
    assert.equal(await verifyPassword(hash, 'S3cret pass phrase'), true);
    assert.equal(await verifyPassword(hash, 'second line'), false);
    assert.ok(UserSchema.safeParse({ name: 'alice', passwordHash: hash }).success, 'the configuration accepts it');
    assert.match(run.stderr, /^# In the configuration file \(--config\):\nauth:\n  users:\n/);
    assert.ok(run.stderr.includes(`passwordHash: '${hash}'`), run.stderr);
    assert.ok(!/S3cret/.test(run.stdout + run.stderr));
  });

  it('--scrypt makes a scrypt hash; a last line without a line end counts', async () => {
    const run = await hashPassword(['--scrypt'], 'S3cret\r\n');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^\$scrypt\$ln=17,r=8,p=1\$/);
    assert.equal(await verifyPassword(run.stdout.trim(), 'S3cret'), true, 'CRLF is a line end, not part of the password');
    const bare = await hashPassword([], 'no-newline');
    assert.equal(await verifyPassword(bare.stdout.trim(), 'no-newline'), true);
  });

  it('an empty or too long password is refused with the reason, and nothing on stdout', async () => {
    const empty = await hashPassword([], '\n');
    assert.equal(empty.code, 1);
    assert.equal(empty.stdout, '');
    assert.equal(empty.stderr, 'camrtc: hash-password: the password is empty (give it on standard input) [ERR_CONFIG_INVALID]\n');
    const long = await hashPassword([], 'x'.repeat(1025));
    assert.equal(long.code, 1);
    assert.match(long.stderr, /longer than 1024 characters, which a login refuses/);
  });

  it('takes no password argument: the command line is readable by every user of the machine', async () => {
    const run = await hashPassword(['S3cret'], 'x\n');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /too many arguments/);
    assert.equal(run.stdout, '');
  });

  it('at a terminal: asks twice, echoes nothing of what is typed, prints the hash', { skip: noPython }, async () => {
    const { code, output } = atTerminal([
      ['Password: ', 'Typed-S3cret\r'],
      ['Repeat it: ', 'Typed-S3cret\r'],
    ]);
    assert.equal(code, 0, output);
    assert.ok(!output.includes('Typed-S3cret'), `the password was echoed:\n${output}`);
    const hash = /^(\$argon2id\$\S+)\r?$/m.exec(output)?.[1];
    assert.ok(hash, output);
    assert.equal(await verifyPassword(hash, 'Typed-S3cret'), true);
  });

  it('at a terminal: two different passwords are refused', { skip: noPython }, () => {
    const { code, output } = atTerminal([
      ['Password: ', 'first-S3cret\r'],
      ['Repeat it: ', 'other-S3cret\r'],
    ]);
    assert.equal(code, 1);
    assert.match(output, /hash-password: the two passwords differ \[ERR_CONFIG_INVALID\]/);
    assert.ok(!/S3cret/.test(output));
  });

  it('at a terminal: Ctrl-C at the prompt stops without a hash', { skip: noPython }, () => {
    const { code, output } = atTerminal([['Password: ', 'half\u0003']]);
    assert.equal(code, 1);
    assert.match(output, /hash-password: cancelled/);
    assert.doesNotMatch(output, /\$argon2id\$/);
  });
});
