// Runs many cases of one bundled action in this one process, as the runner would run each:
// INPUT_* variables, fresh GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files, stdout captured.
// Usage: node harness.mjs <cases.json> <results.json>; the dist dir is in the cases file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [casesFile, resultsFile] = process.argv.slice(2);
const {
  dist,
  action,
  base,
  standIn,
  env: baseEnv,
  cases,
} = JSON.parse(readFileSync(casesFile, 'utf8'));
const { runAction } = await import(pathToFileURL(join(dist, 'common', 'index.js')).href);
const write = process.stdout.write.bind(process.stdout);
const results = [];
// One set of files for every case, emptied before each: @actions/core keeps the summary file's
// path from the first run that writes one.
const work = mkdtempSync(join(tmpdir(), 'hostile-'));
for (const c of cases) {
  const files = {
    GITHUB_OUTPUT: 'output',
    GITHUB_STEP_SUMMARY: 'summary',
    GITHUB_STATE: 'state',
    GITHUB_ENV: 'env',
    GITHUB_PATH: 'path',
  };
  for (const key of Object.keys(process.env)) if (/^INPUT_/.test(key)) delete process.env[key];
  for (const [key, name] of Object.entries(files)) {
    writeFileSync(join(work, name), '');
    process.env[key] = join(work, name);
  }
  Object.assign(process.env, baseEnv, c.env ?? {});
  for (const [name, value] of Object.entries({
    ...base,
    ...(c.standIn ? standIn : {}),
    ...c.inputs,
  })) {
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  let out = '';
  process.stdout.write = (chunk, ...rest) => {
    out += String(chunk);
    const callback = rest.find((r) => typeof r === 'function');
    if (callback) callback();
    return true;
  };
  process.exitCode = 0;
  const started = Date.now();
  try {
    // Inputs-only cases fail at once; one that got further (sign-in at a closed port, SDK
    // retries) is cut off: what it logged so far is scanned all the same.
    let timer;
    const cutOffMs = Number(process.env.HARNESS_CUTOFF_MS ?? (c.standIn ? 20_000 : 3000));
    await Promise.race([
      runAction(action),
      new Promise(
        (done) =>
          (timer = setTimeout(
            () => done((out += `::error::HARNESS: cut off after ${cutOffMs} ms\n`)),
            cutOffMs,
          )),
      ),
    ]);
    clearTimeout(timer);
    if (/HARNESS: cut off/.test(out)) process.exitCode = 1;
  } catch (error) {
    out += `HARNESS: ${error?.stack ?? error}\n`;
    process.exitCode = 1;
  }
  process.stdout.write = write;
  results.push({
    title: c.title,
    code: process.exitCode ?? 0,
    stdout: out,
    output: readFileSync(join(work, 'output'), 'utf8'),
    summary: readFileSync(join(work, 'summary'), 'utf8'),
    ms: Date.now() - started,
  });
}
rmSync(work, { recursive: true, force: true });
writeFileSync(resultsFile, JSON.stringify(results));
process.exit(0);
