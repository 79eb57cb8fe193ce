// `mi apply` of a file that mixes MatrixInfer kinds with Kubernetes core kinds, against a real
// nats-server: Secrets/ConfigMaps stored in mi-secrets (values nowhere else), others skipped.
import { expect } from 'chai';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { CORE_OBJECTS_BUCKET, openCoreObjectStore } from '../../api/core-store.js';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';

const VALUE = 'hf_do-not-leak-4711';
const MIXED = `apiVersion: v1
kind: Secret
metadata: { name: your-secrets }
type: Opaque
data:
  HF_TOKEN: ${Buffer.from(VALUE).toString('base64')}
---
apiVersion: v1
kind: ConfigMap
metadata: { name: engine-env }
data: { VLLM_LOGGING_LEVEL: DEBUG }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: foo }
spec: { replicas: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: foo-svc }
---
apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata: { name: coder }
spec:
  backends:
    - name: server
      type: vLLM
      modelURI: hf://Qwen/Qwen2.5-0.5B-Instruct
      minReplicas: 1
      maxReplicas: 1
      envFrom: [{ secretRef: { name: your-secrets } }, { configMapRef: { name: engine-env } }]
      workers: [{ type: server, image: vllm/vllm-openai:latest }]
`;

describe('mi apply with Secret, ConfigMap and other core kinds (real nats-server)', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  const mi = async (args: string[], stdinText?: string) => {
    const c = captureIO({ stdinText });
    const code = await runMi(['--nats-url', server.url, ...args], c.io);
    return { code, out: c.out, err: c.err };
  };

  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.close();
  });

  it('--dry-run: core objects valid, one warning line per skipped kind', async () => {
    const r = await mi(['apply', '--dry-run', '-f', '-'], MIXED);
    expect(r.code).to.equal(0);
    expect(r.out).to.deep.equal(['secret/your-secrets valid', 'configmap/engine-env valid', 'model/coder valid']);
    expect(r.err).to.deep.equal([
      'skipped apps/v1 Deployment foo: not a MatrixInfer kind; use kubectl for core kinds',
      'skipped v1 Service foo-svc: not a MatrixInfer kind; use kubectl for core kinds',
    ]);
  });

  it('stores Secret and ConfigMap, applies the Model, and shows hashes, never values', async () => {
    const r = await mi(['apply', '-f', '-'], MIXED);
    expect(r.code, r.err.join('\n')).to.equal(0);
    expect(r.out).to.have.length(3);
    expect(r.out[0]).to.match(/^secret\/your-secrets created \(sha256:[0-9a-f]{12}\)$/);
    expect(r.out[1]).to.match(/^configmap\/engine-env created \(sha256:[0-9a-f]{12}\)$/);
    expect(r.out[2]).to.equal('model/coder created');
    expect(r.err).to.have.length(2);
    const again = await mi(['apply', '-f', '-'], MIXED);
    expect(again.out.slice(0, 2).map((l) => l.split(' ')[1])).to.deep.equal(['unchanged', 'unchanged']);

    const nc = await connect({ servers: server.url });
    try {
      const store = await openCoreObjectStore(nc);
      expect((await store.get('Secret', 'default', 'your-secrets'))?.data).to.deep.equal({ HF_TOKEN: VALUE });
      expect((await store.get('ConfigMap', 'default', 'engine-env'))?.data).to.deep.equal({ VLLM_LOGGING_LEVEL: 'DEBUG' });
      // The value is in mi-secrets only: no message of any other stream holds it (plain or base64).
      const jsm = await jetstreamManager(nc);
      const b64 = Buffer.from(VALUE).toString('base64');
      let scanned = 0;
      for await (const s of jsm.streams.list()) {
        if (s.config.name === `KV_${CORE_OBJECTS_BUCKET}`) continue;
        for (let seq = s.state.first_seq; seq <= s.state.last_seq && s.state.messages > 0; seq++) {
          const m = await jsm.streams.getMessage(s.config.name, { seq }).catch(() => null);
          if (!m) continue;
          scanned++;
          const text = new TextDecoder().decode(m.data);
          expect(text, `${s.config.name}#${seq}`).to.not.include(VALUE);
          expect(text, `${s.config.name}#${seq}`).to.not.include(b64);
        }
      }
      expect(scanned).to.be.greaterThan(0);
    } finally {
      await nc.close();
    }
  });

  it('rejects an invalid Secret with its path and submits nothing', async () => {
    const bad = MIXED.replace(/HF_TOKEN: .*/, 'HF_TOKEN: not base64!');
    const r = await mi(['apply', '-f', '-'], bad.replace('name: coder', 'name: coder2'));
    expect(r.code).to.not.equal(0);
    expect(r.err.join('\n')).to.include('Secret/your-secrets: data["HF_TOKEN"]: must be base64');
    expect(r.err.join('\n')).to.not.include('not base64!');
    expect((await mi(['get', 'model', 'coder2'])).code).to.not.equal(0);
  });
});
