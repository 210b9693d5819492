#!/usr/bin/env node
// Load and correctness test of a chat deployment: `node tools/socket_test.js --help`.
// Wire contract: DESIGN.md §2–3 (packages/contracts/src/{http,socket,message}.ts); this file
// runs without a TypeScript build, so it mirrors the few names it needs in tools/lib/*.js.
import { writeFile } from 'node:fs/promises';
import { helpText, parseOptions, UsageError } from './lib/options.js';
import { formatSummary } from './lib/report.js';

async function main(argv) {
  let opts;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`socket_test: ${err.message}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(helpText());
    return 0;
  }
  // Loaded after the options are good, so --help and mistakes answer at once.
  const { LoadRun } = await import('./lib/load-run.js');
  const run = new LoadRun(opts);
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nsocket_test: stopping early (Ctrl-C again to quit at once)\n');
    run.stopRequested = true;
    run.schedule?.stop();
  });
  const report = await run.run();
  process.stdout.write(formatSummary(report));
  if (opts.json) await writeFile(opts.json, JSON.stringify(report, null, 2) + '\n');
  return report.verdict.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`socket_test: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
