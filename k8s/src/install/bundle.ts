// The install bundle as `mi install --print` writes it: k8s/deploy (or one of its overlays)
// rendered by the kustomize reader, with the image and namespace a user may override, in
// kustomize's output order, as one YAML stream for `kubectl apply --server-side -f`.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { INSTALL_ERROR_CODES, InstallError } from './errors.js';
import { buildKustomization, nodeFiles, type FileSource } from './kustomize.js';
import { legacySort, parseImage, setImages, setNamespace, type ImageOverride, type KObject } from './transforms.js';

/** The image name the manifests use; kustomize `images:` and `--image` override it. */
export const BUNDLE_IMAGE = 'matrixinfer';

/** k8s/deploy in this checkout (or in the image, which carries it). */
export const DEFAULT_DEPLOY_DIR = fileURLToPath(new URL('../../deploy/', import.meta.url));

export interface BundleOptions {
  /** Where k8s/deploy is; default the one beside this package. */
  deployDir?: string;
  /** An overlay under deployDir/overlays (e.g. `nats-cluster`) instead of deployDir itself. */
  overlay?: string;
  /** Replaces the `matrixinfer` image: `<registry>/matrixinfer:<tag>` or `…@sha256:…`. */
  image?: string;
  /** Puts the namespaced objects in this namespace instead of matrixinfer-system. */
  namespace?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What an overlay with `images: [{ name: matrixinfer, … }]` for `ref` would say. */
export function imageOverride(ref: string): ImageOverride {
  const { name, tag, digest } = parseImage(ref);
  if (name === '' || /\s/.test(ref) || (tag !== undefined && tag === '') || (digest !== undefined && !/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest))) {
    throw new InstallError(INSTALL_ERROR_CODES.badArgument, `--image ${JSON.stringify(ref)} is not an image reference like registry.example.com/matrixinfer:1.0`);
  }
  return { name: BUNDLE_IMAGE, newName: name, ...(tag !== undefined ? { newTag: tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The bundle's objects, as `kubectl kustomize` of an overlay setting the same image and namespace would render them. */
export function renderInstallBundle(opts: BundleOptions = {}, files: FileSource = nodeFiles()): KObject[] {
  const base = opts.deployDir ?? DEFAULT_DEPLOY_DIR;
  if (opts.overlay !== undefined && !DNS_LABEL.test(opts.overlay)) throw new InstallError(INSTALL_ERROR_CODES.badArgument, `--overlay ${JSON.stringify(opts.overlay)} is not an overlay name`);
  const dir = opts.overlay !== undefined ? join(base, 'overlays', opts.overlay) : base;
  if (!files.exists(dir)) throw new InstallError(INSTALL_ERROR_CODES.badArgument, `no overlay ${opts.overlay ?? ''} in ${join(base, 'overlays')}`);
  let objects = buildKustomization(dir, files);
  if (opts.namespace !== undefined) {
    if (!DNS_LABEL.test(opts.namespace) || opts.namespace.length > 63) throw new InstallError(INSTALL_ERROR_CODES.badArgument, `--namespace ${JSON.stringify(opts.namespace)} is not a valid namespace name`);
    objects = setNamespace(objects, opts.namespace);
  }
  if (opts.image !== undefined) objects = setImages(objects, [imageOverride(opts.image)]);
  return legacySort(objects);
}

/** Objects as one multi-document YAML stream. */
export function toYamlStream(objects: KObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
