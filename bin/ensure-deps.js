#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs the locked dependencies when node_modules is
// missing or older than package-lock.json, so a fresh clone needs no other command.
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { execSync } = require('node:child_process');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write('dataio: installing dependencies (npm ci)...\n');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
try {
  execSync('java -version', { stdio: 'ignore' });
} catch {
  process.stderr.write('dataio: Java 17+ is needed for DynamoDB Local (Debian: apt-get install -y openjdk-17-jre-headless)\n');
  process.exit(1);
}
// The tests read PDF exports with poppler's pdftotext/pdftoppm; npm start does not need them.
if (process.env.npm_lifecycle_event === 'pretest') {
  try {
    execSync('pdftotext -v', { stdio: 'ignore' });
  } catch {
    process.stderr.write('dataio: the tests need poppler-utils for PDF checks (Debian: apt-get install -y poppler-utils)\n');
    process.exit(1);
  }
  // test/e2e/docs-examples runs docs/api.md's curl | jq examples as a reader would.
  for (const [tool, probe] of [['curl', 'curl --version'], ['jq', 'jq --version']]) {
    try {
      execSync(probe, { stdio: 'ignore' });
    } catch {
      process.stderr.write(`dataio: the tests need ${tool} for the docs examples (Debian: apt-get install -y ${tool})\n`);
      process.exit(1);
    }
  }
}

