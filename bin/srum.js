#!/usr/bin/env node
// The `srum` command: runs the compiled CLI (built by `npm install` via the prepare script).
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error('srum: the library is not built yet; run `npm run build` (npm install does it) in ' + path.dirname(__dirname));
  process.exit(1);
}
require(entry).main(process.argv.slice(2)).catch((e) => { console.error('srum: ' + (e && e.message ? e.message : e)); process.exit(1); });
