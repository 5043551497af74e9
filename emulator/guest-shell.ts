/**
 * What a booted guest answers to Run Command. A real VM runs the script in bash (Linux
 * `RunShellScript`) or PowerShell (Windows `RunPowerShellScript`); the stand-in has no VM, so it
 * interprets a small, documented subset of both, line by line, and answers each command from the
 * image version's guest profile (emulator/guest.ts). A line outside the subset is not guessed at:
 * it fails loudly (exit code 2 and a `stand-in shell:` message on stderr), so a script that only
 * works here cannot slip through.
 *
 * bash: `#` comments, `set …`, `export …`, `exit N`, `echo` (quotes, `$?`), commands with
 * `2>&1`, `>/dev/null`, `2>/dev/null`, `timeout N`/`sudo` prefixes, and pipes into
 * `tail -n N` / `head -n N`.
 * PowerShell: `#` comments, `$Name = value`, `exit N`, `Write-Output` (quotes, `$LASTEXITCODE`),
 * `& cmd args` with `2>&1`, and pipes into `Select-Object -Last N` / `-First N`.
 */
import type { GuestProfile } from './guest.js';

export type GuestOs = 'Linux' | 'Windows';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

interface Outcome {
  out: string;
  err: string;
  rc: number;
}

const ok = (out: string): Outcome => ({ out, err: '', rc: 0 });
const fail = (err: string, rc: number, out = ''): Outcome => ({ out, err, rc });

class Unsupported extends Error {}

/** Runs `script` (Run Command's `script` lines) against a guest. */
export function runScript(
  script: readonly string[],
  os: GuestOs,
  guest: GuestProfile,
): ShellResult {
  const state = { stdout: '', stderr: '', last: 0 };
  const lines = script.flatMap((l) => l.split(/\r?\n/));
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      const step =
        os === 'Linux'
          ? bashLine(line, state.last, guest)
          : powershellLine(line, state.last, guest);
      if (step.exit !== undefined) return { ...streams(state), exitCode: step.exit };
      state.stdout += step.out;
      state.stderr += step.err;
      if (step.setsStatus) state.last = step.rc;
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      state.stderr += `stand-in shell: line ${index + 1}: ${err.message}: ${line}\n`;
      return { ...streams(state), exitCode: 2 };
    }
  }
  return { ...streams(state), exitCode: os === 'Linux' ? state.last : 0 };
}

const streams = (s: { stdout: string; stderr: string }) => ({ stdout: s.stdout, stderr: s.stderr });

interface Step extends Outcome {
  /** Whether `$?` / `$LASTEXITCODE` take this step's code. */
  setsStatus: boolean;
  exit?: number;
}

// ---- bash ---------------------------------------------------------------------------------

function bashLine(line: string, last: number, guest: GuestProfile): Step {
  if (/[;&`]|\$\(|\|\|/.test(line.replace(/'[^']*'/g, "''").replace(/2>&1/g, ''))) {
    throw new Unsupported('lists, subshells and background jobs are outside the subset');
  }
  const stages = splitPipes(line).map((stage) => tokenize(stage, { '?': String(last) }));
  const [first, ...filterWords] = stages;
  if (!first || first.length === 0) throw new Unsupported('empty command');
  // `>/dev/null` may close the pipeline: it then applies to the last stage's output.
  const tailRedirect = filterWords.map(redirections).at(-1);
  const filters = filterWords.map((f) => redirections(f).argv);
  const words = first.map((w) => w.value);
  if (words[0] === 'exit')
    return { ...ok(''), setsStatus: false, exit: Number(words[1] ?? last) || 0 };
  if (words[0] === 'set' || words[0] === 'export') return { ...ok(''), setsStatus: false };
  const { argv, merge, dropOut, dropErr } = redirections(first);
  let result = words[0] === 'echo' ? ok(`${argv.slice(1).join(' ')}\n`) : linuxCommand(argv, guest);
  if (merge) result = { ...result, out: result.out + result.err, err: '' };
  for (const filter of filters) result = { ...result, out: lineFilter(filter, result.out) };
  return {
    out: dropOut || tailRedirect?.dropOut ? '' : result.out,
    err: dropErr ? '' : result.err,
    rc: result.rc,
    setsStatus: true,
  };
}

function redirections(words: Word[]): {
  argv: string[];
  merge: boolean;
  dropOut: boolean;
  dropErr: boolean;
} {
  const argv: string[] = [];
  let merge = false;
  let dropOut = false;
  let dropErr = false;
  for (const { value: w, bare } of words) {
    if (!bare) argv.push(w);
    else if (w === '2>&1') merge = true;
    else if (w === '>/dev/null' || w === '1>/dev/null') dropOut = true;
    else if (w === '2>/dev/null') dropErr = true;
    else if (/^\d?>/.test(w)) throw new Unsupported(`redirection '${w}' is outside the subset`);
    else argv.push(w);
  }
  while (argv[0] === 'sudo' || argv[0] === 'timeout') {
    argv.splice(0, argv[0] === 'timeout' ? 2 : 1);
  }
  return { argv, merge, dropOut, dropErr };
}

/** `tail -n N`, `head -n N` (bash) or `Select-Object -Last N` / `-First N` (PowerShell). */
function lineFilter(words: string[], text: string): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const n = Number(words[2]);
  const keep = (pick: string[]): string => (pick.length ? `${pick.join('\n')}\n` : '');
  const cmd = `${words[0]} ${words[1]}`.toLowerCase();
  if (Number.isInteger(n) && (cmd === 'tail -n' || cmd === 'select-object -last')) {
    return keep(lines.slice(Math.max(0, lines.length - n)));
  }
  if (Number.isInteger(n) && (cmd === 'head -n' || cmd === 'select-object -first')) {
    return keep(lines.slice(0, n));
  }
  throw new Unsupported(`pipe into '${words.join(' ')}' is outside the subset`);
}

function linuxCommand(argv: string[], g: GuestProfile): Outcome {
  const [cmd = '', ...args] = argv;
  const notFound = (): Outcome => fail(`bash: line 1: ${cmd}: command not found\n`, 127);
  const v = g.versions;
  switch (cmd) {
    case 'kubelet':
    case 'kubeadm':
    case 'kubectl':
    case 'containerd':
    case 'crictl':
      return v[cmd] ? toolAnswer(cmd, args, g) : notFound();
    case 'systemctl':
      return systemctl(args, g);
    case 'cloud-init':
      return cloudInit(args, g);
    case 'cat':
    case 'head':
    case 'tail': {
      const path = args.at(-1) ?? '';
      const content = g.files[path];
      if (content === undefined) return fail(`${cmd}: ${path}: No such file or directory\n`, 1);
      const text = content.endsWith('\n') ? content : `${content}\n`;
      return ok(cmd === 'cat' ? text : lineFilter([cmd, args[0] ?? '', args[1] ?? ''], text));
    }
    case 'test':
      return {
        out: '',
        err: '',
        rc: args[0] === '-f' && g.files[args[1] ?? ''] !== undefined ? 0 : 1,
      };
    case 'hostname':
      return ok(`${g.computerName ?? 'localhost'}\n`);
    case 'uname':
      return ok(`${g.kernel}\n`);
    case 'true':
      return ok('');
    case 'false':
      return fail('', 1);
    default:
      return notFound();
  }
}

/** kubelet, kubeadm, kubectl, containerd and crictl, as their real output looks. */
function toolAnswer(cmd: string, args: string[], g: GuestProfile): Outcome {
  const v = g.versions;
  const flags = args.join(' ');
  switch (cmd) {
    case 'kubelet':
      return /--version/.test(flags)
        ? ok(`Kubernetes v${v.kubelet}\n`)
        : fail('kubelet: the stand-in only answers --version\n', 1);
    case 'kubeadm':
      if (args[0] === 'version') {
        return /-o\s*short|--output[= ]short/.test(flags)
          ? ok(`v${v.kubeadm}\n`)
          : ok(
              `kubeadm version: &version.Info{Major:"1", GitVersion:"v${v.kubeadm}", Platform:"linux/amd64"}\n`,
            );
      }
      if (args[0] === 'init' && args.includes('--dry-run')) return kubeadmDryRun(args, g);
      return fail(`kubeadm: the stand-in does not run '${flags}'\n`, 1);
    case 'kubectl':
      return args[0] === 'version' && args.includes('--client')
        ? ok(`Client Version: v${v.kubectl}\nKustomize Version: v5.4.2\n`)
        : fail(
            'The connection to the server localhost:8080 was refused - did you specify the right host or port?\n',
            1,
          );
    case 'containerd':
      return /--version|-v\b/.test(flags)
        ? ok(
            `containerd github.com/containerd/containerd/v2 v${v.containerd} 88aa2f531d6c2922003cc7929e51daf1c14caa0a\n`,
          )
        : fail('containerd: the stand-in only answers --version\n', 1);
    case 'crictl':
      if (!g.runtimeReady) {
        return fail(
          'time="2026-01-01T00:00:00Z" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///run/containerd/containerd.sock\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused\\""\n',
          1,
        );
      }
      if (args.includes('--version')) return ok(`crictl version v${v.crictl}\n`);
      return args.includes('version') || args.includes('info')
        ? ok(
            `Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v${v.containerd}\nRuntimeApiVersion:  v1\n`,
          )
        : fail(`crictl: the stand-in does not run '${flags}'\n`, 1);
  }
  return fail('', 1);
}

function kubeadmDryRun(args: string[], g: GuestProfile): Outcome {
  const at = args.indexOf('--kubernetes-version');
  const wanted = at >= 0 ? args[at + 1] : `v${g.versions.kubeadm}`;
  if (!g.kubeadmDryRun.ok) {
    return fail(
      g.kubeadmDryRun.output ??
        '[preflight] Running pre-flight checks\nerror execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1\n',
      1,
    );
  }
  if (wanted !== `v${g.versions.kubeadm}`) {
    return fail(
      `this version of kubeadm only supports deploying clusters with the control plane version >= ${wanted}. Current version: v${g.versions.kubeadm}\n`,
      1,
    );
  }
  return ok(
    g.kubeadmDryRun.output ??
      `[init] Using Kubernetes version: ${wanted}\n[preflight] Running pre-flight checks\n[preflight] Would pull the required images (like 'kubeadm config images pull')\n[certs] Using certificateDir folder "/etc/kubernetes/tmp/kubeadm-init-dryrun"\n[dryrun] Finished dry-running successfully. Above are the resources that would be created\n`,
  );
}

function systemctl(args: string[], g: GuestProfile): Outcome {
  const [verb, unitArg = ''] = args;
  const unit = unitArg.replace(/\.service$/, '');
  const state = g.services[unit];
  if (verb !== 'is-enabled' && verb !== 'is-active') {
    return fail(`systemctl: the stand-in only answers is-enabled and is-active\n`, 1);
  }
  if (state === undefined) {
    return verb === 'is-enabled'
      ? fail(`Failed to get unit file state for ${unit}.service: No such file or directory\n`, 1)
      : { out: 'inactive\n', err: '', rc: 3 };
  }
  if (verb === 'is-enabled')
    return state === 'enabled' ? ok('enabled\n') : fail('', 1, 'disabled\n');
  return state === 'enabled' ? ok('active\n') : { out: 'inactive\n', err: '', rc: 3 };
}

function cloudInit(args: string[], g: GuestProfile): Outcome {
  if (args[0] !== 'status') return fail('cloud-init: the stand-in only answers status\n', 1);
  const detail = args.includes('--long')
    ? `extended_status: ${g.cloudInit}\nboot_status_code: enabled-by-generator\n`
    : '';
  if (g.cloudInit === 'done') return ok(`status: done\n${detail}`);
  if (g.cloudInit === 'error') return fail('', 1, `status: error\n${detail}`);
  // `--wait` on a guest that never finishes: Run Command's own timeout would end it.
  return args.includes('--wait')
    ? fail('', 124, 'status: running\n')
    : ok(`status: running\n${detail}`);
}

// ---- PowerShell ---------------------------------------------------------------------------

function powershellLine(line: string, last: number, guest: GuestProfile): Step {
  const assignment = /^\$(?:global:)?(\w+)\s*=\s*(.+)$/i.exec(line);
  if (assignment) {
    const value = Number(assignment[2]);
    return assignment[1]!.toLowerCase() === 'lastexitcode' && Number.isInteger(value)
      ? { ...ok(''), rc: value, setsStatus: true }
      : { ...ok(''), setsStatus: false };
  }
  const stages = splitPipes(line).map((s) =>
    tokenize(s, { LASTEXITCODE: String(last) }, true).map((w) => w.value),
  );
  const [first, ...filters] = stages;
  if (!first || first.length === 0) throw new Unsupported('empty statement');
  const head = first[0]!.toLowerCase();
  if (head === 'exit') return { ...ok(''), setsStatus: false, exit: Number(first[1] ?? last) || 0 };
  if (head === 'write-output' || head === 'echo') {
    return { ...ok(`${first.slice(1).join(' ')}\n`), setsStatus: false };
  }
  if (head !== '&')
    throw new Unsupported('only `& command`, Write-Output, assignments and exit are in the subset');
  const words = first.slice(1);
  const merge = words.includes('2>&1');
  const argv = words.filter((w) => w !== '2>&1');
  let result = windowsCommand(argv, guest);
  if (merge) result = { ...result, out: result.out + result.err, err: '' };
  for (const filter of filters) result = { ...result, out: lineFilter(filter, result.out) };
  // A program that cannot be found leaves $LASTEXITCODE as it was, as PowerShell does.
  return { ...result, setsStatus: result.rc !== -1, rc: result.rc === -1 ? last : result.rc };
}

function windowsCommand(argv: string[], g: GuestProfile): Outcome {
  const [path = '', ...args] = argv;
  const exe = path
    .split(/[\\/]/)
    .pop()!
    .toLowerCase()
    .replace(/\.exe$/, '');
  const notFound = (): Outcome =>
    fail(
      `& : The term '${path}' is not recognized as the name of a cmdlet, function, script file, or operable program.\n`,
      -1,
    );
  switch (exe) {
    case 'kubelet':
    case 'kubeadm':
    case 'kubectl':
    case 'containerd':
    case 'crictl':
      return g.versions[exe] ? toolAnswer(exe, args, g) : notFound();
    case 'sc': {
      if (args[0]?.toLowerCase() !== 'qc') return fail('[SC] the stand-in only answers qc\n', 1);
      const name = args[1] ?? '';
      const state = g.services[name];
      if (state === undefined) {
        return fail(
          '',
          1060,
          `[SC] OpenService FAILED 1060:\n\nThe specified service does not exist as an installed service.\n`,
        );
      }
      const start = state === 'enabled' ? '2   AUTO_START' : '4   DISABLED';
      return ok(
        `[SC] QueryServiceConfig SUCCESS\n\nSERVICE_NAME: ${name}\n        TYPE               : 10  WIN32_OWN_PROCESS\n        START_TYPE         : ${start}\n        ERROR_CONTROL      : 1   NORMAL\n`,
      );
    }
    case 'cmd': {
      const type = args.findIndex((a) => a.toLowerCase() === 'type');
      if (args[0]?.toLowerCase() !== '/c' || type < 0)
        return fail('cmd: the stand-in only answers /c type FILE\n', 1);
      const file = args[type + 1] ?? '';
      const content = g.files[file];
      return content === undefined
        ? fail('The system cannot find the file specified.\n', 1)
        : ok(content.endsWith('\n') ? content : `${content}\n`);
    }
    case 'hostname':
      return ok(`${g.computerName ?? 'localhost'}\n`);
    default:
      return notFound();
  }
}

// ---- words --------------------------------------------------------------------------------

/** Splits at `|` outside quotes. */
function splitPipes(line: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '|') {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quote) throw new Unsupported('unterminated quote');
  parts.push(current);
  return parts.map((p) => p.trim());
}

/** A word of a command line; `bare` when no part of it was quoted (only bare words redirect). */
interface Word {
  value: string;
  bare: boolean;
}

/**
 * Splits a command into words: single quotes literal, double quotes and bare words expand the
 * given variables (`$?` in bash, `$LASTEXITCODE` in PowerShell). Anything else starting with `$`
 * is outside the subset.
 */
function tokenize(text: string, vars: Record<string, string>, powershell = false): Word[] {
  const words: Word[] = [];
  let word = '';
  let started = false;
  let bare = true;
  let i = 0;
  const expand = (): void => {
    const rest = text.slice(i + 1);
    const name = Object.keys(vars).find((k) =>
      powershell ? rest.toLowerCase().startsWith(k.toLowerCase()) : rest.startsWith(k),
    );
    if (name === undefined) throw new Unsupported('variables other than $? / $LASTEXITCODE');
    word += vars[name];
    i += name.length;
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      word += text.slice(i + 1, end);
      i = end;
      started = true;
      bare = false;
    } else if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '$') expand();
        else word += text[i];
      }
      started = true;
      bare = false;
    } else if (/\s/.test(ch)) {
      if (started) words.push({ value: word, bare });
      word = '';
      started = false;
      bare = true;
    } else if (ch === '$') {
      expand();
      started = true;
    } else {
      word += ch;
      started = true;
    }
  }
  if (started) words.push({ value: word, bare });
  return words;
}
