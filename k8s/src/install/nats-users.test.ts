// The NATS users of the install, end to end: the bundle as real kubectl renders it, the Secret as
// the controller makes it, and a real nats-server run with the rendered config and the env the
// StatefulSet would give it; each component then connects with exactly what its Pod would have.
import { expect } from 'chai';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import winston from 'winston';
import { connectNats, ensureBuckets, ensureStreams, natsAuthFromEnv, type NatsClientAuth } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { ensureNatsCredentials, readsAsNatsString, type NatsPasswords } from '../controller/nats-credentials.js';
import { testCluster, type TestCluster } from '../testing/apiserver/cluster.js';
import { K8S_NATS_USERS, k8sNatsUser, NATS_AUTHORIZATION_FILE, NATS_AUTHORIZATION_MANIFEST, NATS_CREDENTIALS_SECRET, NATS_TLS_SECRET, natsServerDnsNames, renderNatsAuthorizationManifest } from './nats-users.js';
import { ensureNatsTls, type NatsTls } from '../controller/nats-tls.js';
import { DEPLOY_DIR, kubectlKustomize, kubectlPath } from './testing.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type EnvVar = { name: string; value?: string; valueFrom?: Obj };

const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  expect(o, `${kind}/${name} in the bundle`).to.not.equal(undefined);
  return o as Obj;
};
const containerOf = (o: Obj): Obj => o.spec.template.spec.containers[0] as Obj;

// The environment a container gets: literal values, and secretKeyRefs read from `secrets`.
function podEnv(c: Obj, secrets: Record<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of (c.env ?? []) as EnvVar[]) {
    if (e.value !== undefined) env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    if (ref) {
      const v = secrets[ref.name]?.[ref.key];
      if (v === undefined) throw new Error(`${e.name}: Secret ${ref.name} has no key ${ref.key}`);
      env[e.name] = v;
    }
  }
  return env;
}

// nats.conf as rendered, made runnable on 127.0.0.1: the store and client port come from the
// test server's flags, the fixed monitor port and the pod's pid file go. Each line must exist,
// so a changed config fails here instead of being silently tested in another shape.
function runnable(conf: string): string {
  let out = conf;
  for (const line of [/^\s*port: 4222\n/m, /^\s*http_port: 8222\n/m, /^\s*pid_file: .*\n/m, /^\s*store_dir: \/data\n/m]) {
    expect(out, `nats.conf has ${line}`).to.match(line);
    out = out.replace(line, '');
  }
  return out;
}

describe('NATS users of the Kubernetes install', function () {
  this.timeout(60_000);
  const kubectl = kubectlPath();
  let objs: Obj[] = [];

  before(function () {
    // Stated reason: the rendering needs kustomize, which ships inside kubectl.
    if (!kubectl) this.skip();
    objs = kubectlKustomize(kubectl as string, DEPLOY_DIR) as Obj[];
  });

  it(`${NATS_AUTHORIZATION_MANIFEST} is what the user table generates (run \`npm run generate -w k8s\` when this fails)`, () => {
    expect(readFileSync(join(DEPLOY_DIR, NATS_AUTHORIZATION_MANIFEST), 'utf8')).to.equal(renderNatsAuthorizationManifest());
  });

  it('wires every user: NATS reads each password from the Secret, the gateway and controller connect as their own user', () => {
    for (const dir of [DEPLOY_DIR, join(DEPLOY_DIR, 'overlays', 'nats-cluster')]) {
      const bundle = dir === DEPLOY_DIR ? objs : (kubectlKustomize(kubectl as string, dir) as Obj[]);
      expect(find(bundle, 'ConfigMap', 'nats-config').data['nats.conf'], dir).to.match(/^\s*include \.\/auth\/authorization\.conf$/m);
      const sts = find(bundle, 'StatefulSet', 'nats');
      expect(containerOf(sts).volumeMounts).to.deep.include({ name: 'authorization', mountPath: '/etc/nats/auth' });
      expect(sts.spec.template.spec.volumes).to.deep.include({ name: 'authorization', configMap: { name: 'nats-authorization' } });
      const env = containerOf(sts).env as EnvVar[];
      for (const u of K8S_NATS_USERS) {
        // Not optional: a server without the Secret must wait, not start with an empty password.
        expect(env.find((e) => e.name === u.serverEnv)?.valueFrom, u.serverEnv).to.deep.equal({ secretKeyRef: { name: NATS_CREDENTIALS_SECRET, key: u.secretKey } });
      }
    }
    const gwDeploy = find(objs, 'Deployment', 'mi-gateway');
    const gw = containerOf(gwDeploy);
    const gwUser = k8sNatsUser('gateway');
    expect(natsAuthFromEnv(podEnv(gw, { [NATS_CREDENTIALS_SECRET]: { gateway: 'pw' } }))).to.deep.equal({ user: gwUser.user, password: 'pw', inboxPrefix: gwUser.inboxPrefix, caFile: '/etc/mi/nats-tls/ca.crt' });
    // The gateway gets the CA only, never the server's key.
    expect(gw.volumeMounts).to.deep.include({ name: 'nats-ca', mountPath: '/etc/mi/nats-tls', readOnly: true });
    expect(gwDeploy.spec.template.spec.volumes).to.deep.include({ name: 'nats-ca', secret: { secretName: NATS_TLS_SECRET, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    const sts = find(objs, 'StatefulSet', 'nats');
    expect(sts.spec.template.spec.volumes.find((v: Obj) => v.name === 'tls').secret).to.deep.equal({ secretName: NATS_TLS_SECRET, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }], defaultMode: 0o440 });
    expect(containerOf(sts).volumeMounts).to.deep.include({ name: 'tls', mountPath: '/etc/nats/tls', readOnly: true });
    const ctl = containerOf(find(objs, 'Deployment', 'mi-controller'));
    expect(ctl.args.join(' ')).to.include(`--nats-credentials-secret ${NATS_CREDENTIALS_SECRET}`);
    expect(ctl.args.join(' ')).to.include(`--nats-tls-secret ${NATS_TLS_SECRET}`);
    const role = find(objs, 'Role', 'matrixinfer-controller-nats-secrets');
    expect(role.rules).to.deep.equal([
      { apiGroups: [''], resources: ['secrets'], resourceNames: [NATS_CREDENTIALS_SECRET, NATS_TLS_SECRET], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    expect(find(objs, 'RoleBinding', 'matrixinfer-controller-nats-secrets').subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'mi-controller', namespace: 'matrixinfer-system' }]);
  });

  describe('a real nats-server with the rendered config and the Secret the controller made', () => {
    let cluster: TestCluster;
    let server: TestNatsServer;
    let passwords: NatsPasswords;
    let tls: NatsTls;
    // Where the test puts what the Pods would get mounted (/etc/nats/tls, /etc/mi/nats-tls).
    const mounts = mkdtempSync(join(tmpdir(), 'mi-k8s-nats-tls-'));
    // The test's stand-in for the Pod's file system paths.
    const mounted = (text: string) => text.replaceAll('/etc/nats/tls/', `${mounts}/`).replaceAll('/etc/mi/nats-tls/', `${mounts}/`);
    const secretName = `mi-nats-credentials-${randomBytes(3).toString('hex')}`;
    const open: NatsConnection[] = [];
    const connectAs = async (auth: NatsClientAuth, errors?: string[]) => {
      const nc = await connectNats({ url: server.url, name: auth.user ?? 'anonymous', auth });
      open.push(nc);
      if (errors) void (async () => { for await (const s of nc.status()) if (s.type === 'error') errors.push(s.error.message); })();
      return nc;
    };

    before(async function () {
      if (!kubectl) this.skip();
      cluster = await testCluster();
      const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
      // Bytes whose base64url starts with a digit, '-' and '_': what the random bytes give now and
      // then, and what nats-server would misread without the controller's leading letter.
      let call = 0;
      const awkward = (n: number) => Buffer.alloc(n, [0xd0, 0xf8, 0xfc][call++ % 3]!);
      passwords = await ensureNatsCredentials({ kubeConfig: cluster.kubeConfig, namespace: 'default', secretName, randomBytes: awkward, logger });
      // The production names plus `localhost`: the TLS name nats.js checks for a server given by IP
      // (this test's 127.0.0.1); in a cluster it checks the URL's host name, `nats`.
      tls = await ensureNatsTls({ kubeConfig: cluster.kubeConfig, namespace: 'default', secretName: `${secretName}-tls`, dnsNames: [...natsServerDnsNames('matrixinfer-system'), 'localhost'], logger });
      writeFileSync(join(mounts, 'tls.crt'), tls.cert);
      writeFileSync(join(mounts, 'tls.key'), tls.key);
      writeFileSync(join(mounts, 'ca.crt'), tls.ca);
      const stored = await cluster.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ name: secretName, namespace: 'default' });
      const secret = Object.fromEntries(Object.entries(stored.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
      const nats = containerOf(find(objs, 'StatefulSet', 'nats'));
      // The StatefulSet's env with the Secret's values; SERVER_NAME is a fieldRef (the pod name).
      const env = { ...podEnv(nats, { [NATS_CREDENTIALS_SECRET]: secret }), SERVER_NAME: 'nats-0' };
      server = await startNatsServer({
        config: mounted(runnable(find(objs, 'ConfigMap', 'nats-config').data['nats.conf'] as string)),
        files: { [`auth/${NATS_AUTHORIZATION_FILE}`]: find(objs, 'ConfigMap', 'nats-authorization').data[NATS_AUTHORIZATION_FILE] as string },
        env,
      });
    });
    after(async () => {
      for (const nc of open) await nc.close().catch(() => undefined);
      await server?.close();
      for (const name of [secretName, `${secretName}-tls`]) await cluster?.kubeConfig.makeApiClient(CoreV1Api).deleteNamespacedSecret({ name, namespace: 'default' }).catch(() => undefined);
      rmSync(mounts, { recursive: true, force: true });
      await cluster?.stop();
    });

    it('lets the controller (its password from the Secret) create the streams and buckets and write routes', async () => {
      const u = k8sNatsUser('control-plane');
      const nc = await connectAs({ user: u.user, password: passwords[u.secretKey], inboxPrefix: u.inboxPrefix, caFile: join(mounts, 'ca.crt') });
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm);
      await ensureBuckets(jetstream(nc), jsm);
      expect((await jetstream(nc).publish('mi.desired.model.default.m', '{}')).stream).to.equal('MI_DESIRED');
      await (await new Kvm(nc).open('mi-routes')).put('default.m', 'route-1');
    });

    it('lets a gateway (the env of its Deployment) read mi-routes and publish metrics, and refuses it desired state', async () => {
      const gw = containerOf(find(objs, 'Deployment', 'mi-gateway'));
      const errors: string[] = [];
      const auth = natsAuthFromEnv(podEnv(gw, { [NATS_CREDENTIALS_SECRET]: passwords }));
      const nc = await connectAs({ ...auth, caFile: mounted(auth.caFile as string) }, errors);
      expect((await (await new Kvm(nc).open('mi-routes')).get('default.m'))?.string()).to.equal('route-1');
      nc.publish('mi.metrics.gateway.default.m', '{}');
      nc.publish('mi.desired.model.default.m', '{}');
      await nc.flush();
      const refused = await jetstreamManager(nc, { checkAPI: false }).then((jsm) => jsm.streams.info('MI_DESIRED')).then(() => 'allowed', (e: Error) => e.message);
      expect(refused).to.match(/Permissions Violation/);
      expect(errors.some((e) => /Publish to "mi\.desired\.model\.default\.m"/.test(e)), errors.join('\n')).to.equal(true);
      expect(errors.some((e) => /mi\.metrics\.gateway/.test(e)), errors.join('\n')).to.equal(false);
    });

    it('refuses a client without credentials, one with another user\'s password, and one that does not trust the CA', async () => {
      const caFile = join(mounts, 'ca.crt');
      const anon = await connectNats({ url: server.url, name: 'anon', auth: { caFile } }).then(() => 'connected', (e: Error) => e.message);
      expect(anon).to.match(/authorization/i);
      const gwUser = k8sNatsUser('gateway');
      const wrong = await connectNats({ url: server.url, name: 'x', auth: { user: gwUser.user, password: `${passwords['admin']}`, caFile } }).then(() => 'connected', (e: Error) => e.message);
      expect(wrong).to.match(/authorization/i);
      // The right password without the CA: the server's certificate is not trusted.
      const untrusted = await connectNats({ url: server.url, name: 'y', auth: { user: gwUser.user, password: `${passwords['gateway']}` } }).then(() => 'connected', (e: Error) => e.message);
      expect(untrusted).to.match(/certificate|TLS|self.signed/i);
    });

    it('readsAsNatsString accepts passwords nats-server 2.9 takes from its environment, and refuses ones it misreads', async () => {
      // Misread, as measured: a leading '-' (the CI failure of a random password), a number, a
      // size, a decimal, a boolean. (Some values with a leading digit pass; the check refuses
      // all of them rather than copy the server's lexer.)
      for (const [value, want] of [['-Oabc', false], ['12', false], ['3kb', false], ['1.5x', false], ['true', false], ['pa-b_c', true], ['p0', true], ['abc-', true], ['Z_9', true]] as const) {
        expect(readsAsNatsString(value), value).to.equal(want);
        const s = await startNatsServer({ config: 'authorization { users = [ { user: "u", password: $P } ] }\n', env: { P: value } }).catch(() => null);
        try {
          const ok = s !== null && (await connectNats({ url: s.url, name: 'probe', auth: { user: 'u', password: value } }).then(async (c) => (await c.close(), true), () => false));
          expect(ok, `nats-server with password ${JSON.stringify(value)}`).to.equal(want);
        } finally {
          await s?.close();
        }
      }
    });

    it('serves the certificate the controller made for the Service names, signed by the CA in the Secret', () => {
      const cert = new X509Certificate(tls.cert);
      expect(cert.subjectAltName).to.include('DNS:nats, DNS:nats.matrixinfer-system, DNS:nats.matrixinfer-system.svc, DNS:nats.matrixinfer-system.svc.cluster.local');
      expect(cert.verify(new X509Certificate(tls.ca).publicKey)).to.equal(true);
      expect(cert.checkHost('nats')).to.equal('nats');
    });
  });
});
