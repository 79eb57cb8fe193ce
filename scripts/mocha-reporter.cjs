// Mocha reporter for every workspace: the spec output, plus one JSON line of totals appended
// to .tmp/test-stats.jsonl at the repository root, so `npm test` can print one closing line
// for the whole suite ("N passed, N failed").
const Mocha = require('mocha');
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const stats = runner.stats || {};
      const dir = path.join(__dirname, '..', '.tmp');
      fs.mkdirSync(dir, { recursive: true });
      const line = JSON.stringify({
        package: path.basename(process.cwd()),
        passes: stats.passes || 0,
        failures: stats.failures || 0,
        pending: stats.pending || 0,
      });
      fs.appendFileSync(path.join(dir, 'test-stats.jsonl'), line + '\n');
    });
  }
}
module.exports = SummaryReporter;
