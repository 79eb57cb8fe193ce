// Observability end to end: the system of the autoscaler suites (default control plane in
// process, one gateway process, simulator replicas), a real Prometheus scraping the control
// plane's /metrics, the gateway's /metrics and every simulator replica the routing table lists,
// closed-loop load through the gateway. Then every query of docs/grafana/matrixinfer.json (its
// template variables as `.*` matchers) must return data from Prometheus' HTTP API, and
// docs/grafana/alerts.yml must pass `promtool check rules` and load into that Prometheus.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/mi.js';
import { ClosedLoopLoad } from './autoscaler-load.js';
import { startAutoscaledSystem, type AutoscaledSystem } from './support/autoscaled.js';
import { ChildSet } from './support/children.js';
import { dashboardQueries, substituteVariables } from './support/dashboard.js';
import { autoscaledSimModel, inflightPolicy } from './support/manifests.js';
import { entryEndpoints, readRoute } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { findPrometheus, startPrometheus, type TestPrometheus } from './support/prometheus.js';

const MODEL = 'e2e-obs';
const INFER = `${MODEL}-sim`;
const DASHBOARD = join(REPO_ROOT, 'docs', 'grafana', 'matrixinfer.json');
const ALERTS = join(REPO_ROOT, 'docs', 'grafana', 'alerts.yml');
const PROMETHEUS = findPrometheus();
const PROMTOOL = PROMETHEUS ? join(PROMETHEUS, '..', 'promtool') : null;
const VARIABLES = { model: '.*', namespace: '.*', target: '.*', datasource: 'prometheus' };

interface PromResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

async function instantQuery(url: string, expr: string): Promise<PromResponse> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
  return (await res.json()) as PromResponse;
}

const title = PROMETHEUS
  ? 'observability: every dashboard query returns data from a real Prometheus scraping the control plane, gateway and engines'
  : 'observability dashboard queries — SKIPPED: no `prometheus` binary on PATH (apt-get install -y prometheus)';

describe(title, function () {
  this.timeout(90_000);
  const children = new ChildSet();
  let sys: AutoscaledSystem | undefined;
  let prom: TestPrometheus | undefined;
  let load: ClosedLoopLoad | undefined;
  let discovery: NodeJS.Timeout | undefined;

  before(async function () {
    if (!PROMETHEUS) {
      console.warn(`      skipping: ${title}`);
      this.skip();
    }
    this.timeout(60_000);
    sys = await startAutoscaledSystem('obs', 500);
    prom = await startPrometheus(children, PROMETHEUS!, ['mi-control-plane', 'mi-gateway', 'mi-sim'], { ruleFiles: [ALERTS] });
    prom.setTargets([new URL(sys.apiUrl).host], 'mi-control-plane');
    prom.setTargets([new URL(sys.gw.url).host], 'mi-gateway');
    let last = '';
    discovery = setInterval(() => {
      void readRoute(sys!.kv, MODEL)
        .then((entry) => {
          const targets = entryEndpoints(entry).map((e) => new URL(e.address).host);
          if (targets.join(',') !== last) prom?.setTargets(targets, 'mi-sim');
          last = targets.join(',');
        })
        .catch(() => undefined);
    }, 250);
    await sys.store.apply(inflightPolicy({ name: 'obs-inflight', target: 2, stableWindow: '6s', panicWindowPercent: '50' }));
    await sys.store.apply(autoscaledSimModel({ name: MODEL, policy: 'obs-inflight', minReplicas: 1, maxReplicas: 3, itlMs: 10 }));
    await waitFor('one ready replica routed', async () => entryEndpoints(await readRoute(sys!.kv, MODEL)).length >= 1 || undefined, { timeoutMs: 30_000 });
  });

  after(async function () {
    this.timeout(30_000);
    if (discovery) clearInterval(discovery);
    await load?.stop();
    await prom?.remove();
    await children.killAll();
    await sys?.stop();
  });

  it('the alert rules pass promtool (when installed)', function () {
    if (!PROMTOOL || spawnSync(PROMTOOL, ['--version']).status !== 0) this.skip();
    const r = spawnSync(PROMTOOL!, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/SUCCESS: \d+ rules found/);
  });

  it('the alert rules load into Prometheus and evaluate without errors', async () => {
    type Rule = { name: string; health: string; lastError?: string; lastEvaluation: string };
    const rules = await waitFor('every rule evaluated', async () => {
      const r = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as { data: { groups: { rules: Rule[] }[] } };
      const all = r.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((x) => !x.lastEvaluation.startsWith('0001-')) && all;
    }, { timeoutMs: 15_000, everyMs: 500 });
    expect(rules.length).to.be.at.least(10);
    expect(rules.filter((x) => x.health !== 'ok').map((x) => `${x.name}: ${x.health} ${x.lastError ?? ''}`)).to.deep.equal([]);
  });

  it('every dashboard query returns a non-empty result under load', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Parameters<typeof dashboardQueries>[0];
    const queries = dashboardQueries(dashboard).map((q) => ({ ...q, promql: substituteVariables(q.expr, VARIABLES, '10s') }));
    expect(queries.length).to.be.at.least(30);

    // 6 clients with 2 in flight per replica as the target: the autoscaler scales up, the engines queue.
    load = new ClosedLoopLoad(sys!.gw.url, MODEL, 60);
    load.set(6);
    await waitFor('every job scraped', async () => {
      const up = await instantQuery(prom!.url, 'count by (job) (up == 1)');
      return (up.data?.result.length ?? 0) === 3 || undefined;
    }, { timeoutMs: 20_000, everyMs: 500 });

    let empty: string[] = [];
    await waitFor('data for every dashboard query', async () => {
      empty = [];
      for (const q of queries) {
        const r = await instantQuery(prom!.url, q.promql);
        // A query Prometheus refuses is a broken panel: fail at once, naming it.
        expect(r.status, `${q.panel}/${q.refId}: ${r.error} in ${q.promql}`).to.equal('success');
        if ((r.data?.result.length ?? 0) === 0) empty.push(`${q.panel}/${q.refId}: ${q.promql}`);
      }
      return empty.length === 0 || undefined;
    }, { timeoutMs: 30_000, everyMs: 1000, describe: () => `queries without data:\n${empty.join('\n')}` });

    // The autoscaler's series name its target; the control plane's lag series its consumers.
    const desired = await instantQuery(prom!.url, `mi_autoscaler_desired_replicas{job="mi-control-plane",namespace="default",target="${INFER}"}`);
    expect(desired.data?.result).to.have.length(1);
    const consumers = await instantQuery(prom!.url, 'count(mi_controlplane_event_lag_messages{job="mi-control-plane"})');
    expect(Number((consumers.data?.result[0] as { value: [number, string] }).value[1])).to.be.at.least(10);
    // The $model variable matches the engines too: they label their series with the served name.
    const engines = await instantQuery(prom!.url, `vllm:num_requests_running{job="mi-sim",model_name="${MODEL}"}`);
    expect(engines.data?.result.length, 'engine series of the model').to.be.at.least(1);
    expect(load.completed, 'requests completed through the gateway').to.be.greaterThan(0);
  });
});
