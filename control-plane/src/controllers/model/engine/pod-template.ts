// Pod templates of one worker of a backend: the entry pod (serves HTTP; probes on the engine's
// /health, a preStop that drains, a termination grace long enough for it) and, for engines
// spread over several nodes, the worker pods; both with the weights volume and the download
// init containers. A worker without an image runs the built-in simulator instead.
import { InvalidResourceError } from '../../errors.js';
import type { Container, EnvVar, Model, ModelBackend, ModelWorker, PodTemplate } from '../../types.js';
import { configToArgs, configValue, hasFlag, workerConfig } from './flags.js';
import { delayPreStop, drainPreStop, TERMINATION_GRACE_SECONDS } from './drain.js';
import { familyTraits } from './families.js';
import { podLabels, SIMULATOR_ARGS_ANNOTATION } from './labels.js';
import { sglangEngine } from './sglang.js';
import { torchserveEngine } from './torchserve.js';
import { tritonControlArgs, tritonEngine } from './triton.js';
import { vllmEngine } from './vllm.js';
import type { EngineFamily } from '@matrixinfer/events';
import { cacheVolume, downloadContainer, downloadDir, isDownloadable, modelsMount, type Download } from './weights.js';
import { adapterPath, loraEnabled, startupAdapters } from './adapters.js';
import type { EngineBuild, EngineInput } from './types.js';

/** Program name of the built-in engine simulator. */
export const SIMULATOR_COMMAND = 'mi-engine-sim';
/** Image of the engine simulator (Kubernetes; the local actuator runs the command). */
export const SIMULATOR_IMAGE = 'matrixinfer/mi-engine-sim:latest';
/** Port the engines listen on inside a pod, unless the worker's config sets `port`. */
export const ENGINE_PORT = 8000;
/** Resource name of NVIDIA GPUs. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** The engine family of a backend type. */
export function engineOf(backend: ModelBackend): EngineFamily {
  return backend.type === 'vLLMDisaggregated' ? 'vLLM' : backend.type;
}

/** The model name clients send: spec.name, else metadata.name. */
export function servedModelName(model: Model): string {
  return model.spec.name ?? model.metadata.name;
}

/** The name the engines of a backend answer to: the workers' `served-model-name`, else the client-facing name. */
export function engineServedName(model: Model, backend: ModelBackend): string {
  for (const w of backend.workers ?? []) {
    const v = configValue(workerConfig(w), '--served-model-name');
    if (typeof v === 'string' && v !== '') return v;
    if (Array.isArray(v) && v.length > 0) return String(v[0]);
  }
  return servedModelName(model);
}

/** Port of a worker's engine: its config's `port`, else ENGINE_PORT. */
export function enginePort(worker: ModelWorker): number {
  const p = Number(configValue(workerConfig(worker), '--port'));
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : ENGINE_PORT;
}

function gpusOf(worker: ModelWorker): number {
  const q = worker.resources?.limits?.[GPU_RESOURCE] ?? worker.resources?.requests?.[GPU_RESOURCE];
  const n = Number(q);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** The Kubernetes EnvFromSource list of a container. */
type EnvFrom = NonNullable<Container['envFrom']>;
/** A Kubernetes Volume or VolumeMount, as the schema types them. */
type VolumeLike = Record<string, unknown>;

function envFromOf(backend: ModelBackend): EnvFrom {
  return backend.envFrom ?? [];
}

/**
 * Downloads a backend needs before its engines start: the model, then each LoRA adapter that
 * cannot be loaded at run time (s3://, pvc://; hf:// and file:// adapters are loaded live by the
 * endpoint controller and stay out of the template).
 */
export function downloadsOf(backend: ModelBackend): Download[] {
  const out: Download[] = [];
  if (isDownloadable(backend.modelURI)) out.push({ name: 'download-model', source: backend.modelURI, outputDir: downloadDir(backend.modelURI) });
  startupAdapters(backend).forEach((a, i) => {
    if (isDownloadable(a.artifactURL)) out.push({ name: `download-lora-${i}`, source: a.artifactURL, outputDir: downloadDir(a.artifactURL, 'lora') });
  });
  return out;
}

/** What the engine builders get for one worker of a backend. */
export function engineInput(model: Model, backend: ModelBackend, worker: ModelWorker): EngineInput {
  const adapters = startupAdapters(backend).map((a) => ({ name: a.name, path: adapterPath(a) }));
  return {
    servedName: engineServedName(model, backend),
    modelPath: isDownloadable(backend.modelURI) ? downloadDir(backend.modelURI) : backend.modelURI,
    config: workerConfig(worker),
    role: worker.type as EngineInput['role'],
    pods: worker.pods ?? 1,
    gpusPerPod: gpusOf(worker),
    lora: loraEnabled(backend),
    adapters,
  };
}

/** The command lines of one real-engine worker; a backend type without a builder is refused, never run as vLLM. */
export function buildEngine(backend: ModelBackend, input: EngineInput): EngineBuild {
  const type: string = backend.type;
  if (type === 'SGLang') return sglangEngine(input);
  if (type === 'Triton') return tritonEngine(input);
  if (type === 'TorchServe') return torchserveEngine(input);
  if (type === 'vLLM' || type === 'vLLMDisaggregated') return vllmEngine(input);
  throw new InvalidResourceError(`backend ${backend.name}: no engine command for backend type ${type} (vLLM, vLLMDisaggregated, SGLang, Triton and TorchServe have one; omit the image to run the simulator)`);
}

/** argv of the simulator standing in for a worker (the container of an image-less worker, or the annotation of a real one). */
export function simulatorArgs(model: Model, backend: ModelBackend, worker: ModelWorker, adapters: { name: string; path: string }[]): string[] {
  const args = configToArgs(workerConfig(worker));
  if (!hasFlag(args, '--model')) args.push('--model', servedModelName(model));
  if (loraEnabled(backend) && !hasFlag(args, '--enable-lora')) args.push('--enable-lora');
  if (adapters.length > 0 && !hasFlag(args, '--lora-modules')) args.push('--lora-modules', ...adapters.map((a) => `${a.name}=${a.path}`));
  if (!hasFlag(args, '--engine')) args.push('--engine', familyTraits(engineOf(backend)).simulatorEngine);
  // Triton's stand-in runs in the model control mode the real server is given (triton.ts).
  if (engineOf(backend) === 'Triton') {
    args.push(...tritonControlArgs(workerConfig(worker), args[args.indexOf('--model') + 1] ?? servedModelName(model)));
    // The stand-in has no repository directory: any model the controller loads is in it (not the
    // spec's list, so a modelLifecycle change stays live instead of rolling the pods).
    if (!hasFlag(args, '--repository-models') && !hasFlag(args, '--model-repository')) args.push('--repository-models', '*');
  }
  if (worker.type !== undefined && worker.type !== 'server' && !hasFlag(args, '--role')) args.push('--role', worker.type);
  return args;
}

// MODEL_URI/CACHE_URI tell an engine (and the local actuator) where the weights come from.
function weightsEnv(backend: ModelBackend): EnvVar[] {
  const env: EnvVar[] = [...(backend.env ?? [])];
  if (backend.modelURI) env.push({ name: 'MODEL_URI', value: backend.modelURI });
  if (backend.cacheURI) env.push({ name: 'CACHE_URI', value: backend.cacheURI });
  return env;
}

function healthProbe(periodSeconds: number, failureThreshold: number, path = '/health'): Record<string, unknown> {
  return { httpGet: { path, port: 'http' }, periodSeconds, failureThreshold };
}

function simulatorContainer(model: Model, backend: ModelBackend, worker: ModelWorker): Container {
  const adapters = startupAdapters(backend).map((a) => ({ name: a.name, path: adapterPath(a) }));
  const c: Container = { name: 'engine', image: SIMULATOR_IMAGE, command: [SIMULATOR_COMMAND], args: simulatorArgs(model, backend, worker, adapters), env: weightsEnv(backend) };
  if (worker.resources) c.resources = worker.resources;
  c.ports = [{ containerPort: ENGINE_PORT, name: 'http' }];
  c.readinessProbe = healthProbe(5, 3, familyTraits(engineOf(backend)).readyPath);
  return c;
}

function engineContainer(backend: ModelBackend, worker: ModelWorker, cmd: { command: string[]; args: string[] }, entry: boolean, mounts: VolumeLike[]): Container {
  const port = enginePort(worker);
  const env: EnvVar[] = [...weightsEnv(backend), { name: 'PORT', value: String(port) }];
  // vLLM serves /v1/load_lora_adapter only with this set; the endpoint controller loads adapters live.
  if (loraEnabled(backend) && engineOf(backend) === 'vLLM') env.push({ name: 'VLLM_ALLOW_RUNTIME_LORA_UPDATING', value: 'True' });
  const c: Container = { name: 'engine', image: worker.image!, command: cmd.command, args: cmd.args, env };
  const envFrom = envFromOf(backend);
  if (envFrom.length > 0) c.envFrom = envFrom;
  if (worker.resources) c.resources = worker.resources;
  c.volumeMounts = mounts;
  if (!entry) return c; // pods 1.. of a multi-node engine join the entry and serve no HTTP
  const traits = familyTraits(engineOf(backend));
  c.ports = [{ containerPort: port, name: 'http' }, ...traits.extraPorts.map((p) => ({ ...p }))];
  // Loading weights can take many minutes: the startup probe allows 30, then liveness takes over.
  c.startupProbe = healthProbe(10, 180, traits.readyPath);
  c.readinessProbe = healthProbe(5, 3, traits.readyPath);
  c.livenessProbe = healthProbe(10, 6, traits.livePath);
  c.lifecycle = { preStop: traits.drain ? drainPreStop(traits.drain) : delayPreStop() };
  return c;
}

/** The pod templates of one worker, and the KV connector its engines were given (PD). */
export interface WorkerPods {
  entry: PodTemplate;
  worker?: PodTemplate;
  kvConnector?: string;
}

/** Pod templates of one worker: the simulator when the worker names no image, else its engine. */
export function workerPods(model: Model, backend: ModelBackend, worker: ModelWorker): WorkerPods {
  const labels = podLabels(model.metadata.name, backend.name);
  const pods = worker.pods ?? 1;
  if (!worker.image) {
    const spec = (): PodTemplate['spec'] => ({ containers: [simulatorContainer(model, backend, worker)] });
    const out: WorkerPods = { entry: { metadata: { labels: { ...labels } }, spec: spec() } };
    if (pods > 1) out.worker = { metadata: { labels: { ...labels } }, spec: spec() };
    return out;
  }
  const input = engineInput(model, backend, worker);
  const build = buildEngine(backend, input);
  const annotations = { [SIMULATOR_ARGS_ANNOTATION]: JSON.stringify(simulatorArgs(model, backend, worker, input.adapters)) };
  const downloads = downloadsOf(backend);
  const env = backend.env ?? [];
  const template = (cmd: { command: string[]; args: string[] }, entry: boolean): PodTemplate => {
    const volumes: VolumeLike[] = [{ name: 'dshm', emptyDir: { medium: 'Memory' } }];
    const mounts: VolumeLike[] = [{ name: 'dshm', mountPath: '/dev/shm' }];
    if (downloads.length > 0 || backend.cacheURI) {
      volumes.unshift(cacheVolume(backend.cacheURI).volume);
      mounts.unshift(modelsMount(backend.cacheURI));
    }
    const spec: PodTemplate['spec'] = { containers: [engineContainer(backend, worker, cmd, entry, mounts)], volumes };
    if (downloads.length > 0) spec.initContainers = downloads.map((d) => downloadContainer(d, backend.cacheURI, env, envFromOf(backend)));
    if (entry) spec.terminationGracePeriodSeconds = TERMINATION_GRACE_SECONDS;
    if (worker.affinity) spec.affinity = worker.affinity;
    return { metadata: { labels: { ...labels }, annotations: { ...annotations } }, spec };
  };
  const out: WorkerPods = { entry: template(build.entry, true), kvConnector: build.kvConnector };
  if (pods > 1) out.worker = template(build.worker ?? build.entry, false);
  if (out.kvConnector === undefined) delete out.kvConnector;
  return out;
}
