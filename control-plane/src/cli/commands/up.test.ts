// How `mi up` settles its options: flags over --config file over env over defaults.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadArgumentError } from '../../api/errors.js';
import { resolveUpOptions } from './up.js';

describe('mi up options', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-up-opts-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the defaults of interfaces.md: own nats-server, one gateway on 8080, API on 8090, quickstart', () => {
    const o = resolveUpOptions({ quickstart: true }, {}, {});
    expect(o).to.deep.include({ natsUrl: undefined, dataDir: '.mi-data', gateways: 1, gatewayPort: 8080, apiPort: 8090, natsPort: 4222 });
    expect(o.apply).to.have.length(1);
    expect(o.apply[0]).to.match(/examples\/quickstart\.yaml$/);
  });

  it('secures its own nats-server unless --insecure-nats (flag or config file); gateway TLS is opt-in (#18)', () => {
    expect(resolveUpOptions({ quickstart: true }, {}, {})).to.deep.include({ insecureNats: false, gatewayTls: false });
    expect(resolveUpOptions({ quickstart: true, insecureNats: true, gatewayTls: true }, {}, {})).to.deep.include({ insecureNats: true, gatewayTls: true });
    const file = join(dir, 'insecure.yaml');
    writeFileSync(file, 'insecureNats: true\ngatewayTls: true\n');
    expect(resolveUpOptions({ quickstart: true, config: file }, {}, {})).to.deep.include({ insecureNats: true, gatewayTls: true });
  });

  it('takes env, then the config file, then flags', () => {
    const env = { NATS_URL: 'nats://env:4222', MI_API_PORT: '9000', MI_GATEWAY_PORT: '9100' };
    expect(resolveUpOptions({ quickstart: true }, {}, env)).to.deep.include({ natsUrl: 'nats://env:4222', apiPort: 9000, gatewayPort: 9100 });
    const file = join(dir, 'up.yaml');
    writeFileSync(file, 'natsUrl: nats://file:4222\ngateways: 3\napiPort: 9001\nquickstart: false\napply: [a.yaml]\n');
    const fromFile = resolveUpOptions({ quickstart: true, config: file }, {}, env);
    expect(fromFile).to.deep.include({ natsUrl: 'nats://file:4222', gateways: 3, apiPort: 9001, apply: ['a.yaml'] });
    const flags = resolveUpOptions({ quickstart: true, config: file, gateways: '2', apiPort: '0', apply: ['b.yaml'] }, { natsUrl: 'nats://flag:4222' }, env);
    expect(flags).to.deep.include({ natsUrl: 'nats://flag:4222', gateways: 2, apiPort: 0, apply: ['a.yaml', 'b.yaml'] });
  });

  it('takes the scheduler of the config file as mi-config text: a profile name, or a mapping as JSON', () => {
    const profile = join(dir, 'sched-profile.yaml');
    writeFileSync(profile, 'scheduler: least-request\n');
    expect(resolveUpOptions({ quickstart: true, config: profile }, {}, {}).schedulerConfig).to.equal('least-request');
    const mapping = join(dir, 'sched-map.yaml');
    writeFileSync(mapping, 'scheduler:\n  scorers: [{ name: least-request, weight: 2 }]\n  picker: { name: max-score }\n');
    expect(JSON.parse(resolveUpOptions({ quickstart: true, config: mapping }, {}, {}).schedulerConfig!)).to.deep.equal({
      scorers: [{ name: 'least-request', weight: 2 }],
      picker: { name: 'max-score' },
    });
    expect(resolveUpOptions({ quickstart: true }, {}, {}).schedulerConfig).to.equal(undefined);
    const bad = join(dir, 'sched-bad.yaml');
    writeFileSync(bad, 'scheduler: [1, 2]\n');
    expect(() => resolveUpOptions({ quickstart: true, config: bad }, {}, {})).to.throw(/scheduler must be a profile name or a mapping with scorers/);
  });

  it('takes the Prometheus URL from --prometheus-url, the config file, then MI_PROMETHEUS_URL; none by default; a bad one fails at start-up', () => {
    expect(resolveUpOptions({ quickstart: true }, {}, {}).prometheusUrl).to.equal(undefined);
    const env = { MI_PROMETHEUS_URL: 'http://env:9090' };
    expect(resolveUpOptions({ quickstart: true }, {}, env).prometheusUrl).to.equal('http://env:9090/');
    const file = join(dir, 'prom.yaml');
    writeFileSync(file, 'prometheusUrl: http://file:9090/prom\n');
    expect(resolveUpOptions({ quickstart: true, config: file }, {}, env).prometheusUrl).to.equal('http://file:9090/prom');
    expect(resolveUpOptions({ quickstart: true, config: file, prometheusUrl: 'https://flag:443' }, {}, env).prometheusUrl).to.equal('https://flag/');
    expect(() => resolveUpOptions({ quickstart: true, prometheusUrl: 'localhost:9090' }, {}, {})).to.throw(BadArgumentError, /--prometheus-url "localhost:9090" must be http:\/\/ or https:\/\//);
    expect(() => resolveUpOptions({ quickstart: true }, {}, { MI_PROMETHEUS_URL: 'not a url' })).to.throw(BadArgumentError, /is not a URL/);
  });

  it('rejects bad values with the flag name', () => {
    expect(() => resolveUpOptions({ quickstart: true, gateways: '-1' }, {}, {})).to.throw(/--gateways must be a whole number/);
    expect(() => resolveUpOptions({ quickstart: true, apiPort: '70000' }, {}, {})).to.throw(/--api-port must be a port number/);
  });
});
