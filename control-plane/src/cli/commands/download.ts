// `mi download --source URI --output-dir DIR`: the weights downloader the Model controller's
// init containers run (and a user can run by hand). Progress lines go to stderr.
import { Command } from 'commander';
import { runDownload } from '../../download/download.js';
import type { CliIO } from '../io.js';

interface DownloadFlags {
  source: string;
  outputDir: string;
}

/** The `download` command. */
export function downloadCommand(io: CliIO): Command {
  return new Command('download')
    .description('download model weights or adapters (hf://, s3://, hostpath://, pvc://) into a directory; resumable, one download per directory at a time')
    .requiredOption('--source <uri>', 'hf://ORG/REPO[@REVISION], s3://BUCKET/PREFIX, hostpath:///PATH or pvc://CLAIM/PATH')
    .requiredOption('--output-dir <dir>', 'where the files go (created if missing)')
    .addHelpText(
      'after',
      '\nEnvironment: HF_ENDPOINT (a Hub mirror), HF_TOKEN; AWS_ENDPOINT_URL (S3-compatible server), AWS_REGION,\nAWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; MI_PVC_ROOT (where pvc:// claims are mounted, default /pvc).\n',
    )
    .action(async (flags: DownloadFlags) => {
      const r = await runDownload({ source: flags.source, outputDir: flags.outputDir, env: io.env, log: (l) => io.err(l) });
      io.out(JSON.stringify({ source: flags.source, outputDir: flags.outputDir, ...r }));
    });
}
