// `mi install --print`: the Kubernetes install bundle (the same objects as
// `kubectl kustomize k8s/deploy`) as one YAML stream for `kubectl apply --server-side -f -`.
import { Command } from 'commander';
import type { CliIO } from '@matrixinfer/control-plane';
import { renderInstallBundle, toYamlStream } from '../../install/bundle.js';
import { INSTALL_ERROR_CODES, InstallError } from '../../install/errors.js';

interface InstallFlags { print?: boolean; image?: string; namespace?: string; overlay?: string; deployDir?: string }

/** The `install` subcommand; it only prints (applying is kubectl's job, with the user's credentials). */
export function installCommand(io: CliIO): Command {
  return new Command('install')
    .description('the Kubernetes install bundle (CRDs, RBAC, NATS, control plane, gateway) as one YAML stream')
    .option('--print', 'write the bundle to stdout (pipe it to `kubectl apply --server-side -f -`)')
    .option('--image <image>', 'image for every MatrixInfer container, e.g. registry.example.com/matrixinfer:1.0')
    .option('-n, --namespace <ns>', 'namespace for the namespaced objects (default matrixinfer-system)')
    .option('--overlay <name>', 'an overlay of k8s/deploy/overlays, e.g. nats-cluster (3 NATS servers)')
    .option('--deploy-dir <dir>', 'the k8s/deploy directory to render (default the one shipped with mi)')
    .addHelpText('after', '\nExample:\n  mi install --print --image registry.example.com/matrixinfer:1.0 | kubectl apply --server-side -f -\n')
    .action((flags: InstallFlags) => {
      if (!flags.print) {
        throw new InstallError(INSTALL_ERROR_CODES.badArgument, 'mi install only prints the bundle: run `mi install --print | kubectl apply --server-side -f -` (or `kubectl apply -k k8s/deploy`)');
      }
      const objects = renderInstallBundle({ image: flags.image, namespace: flags.namespace, overlay: flags.overlay, deployDir: flags.deployDir });
      io.out(toYamlStream(objects));
    });
}
