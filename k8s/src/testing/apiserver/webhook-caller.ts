// The test API server's side of admission webhooks, as kube-apiserver calls them: for each
// write, the webhooks of the stored Mutating/ValidatingWebhookConfigurations whose rules match
// (operations, apiGroups, apiVersions, resources incl. subresources, scope) get an
// AdmissionReview v1 over HTTPS, trusting only the configuration's caBundle, within its
// timeoutSeconds; a call that fails obeys failurePolicy (Fail denies, Ignore skips). Mutating
// answers are JSON Patches applied in order; warnings are collected. namespaceSelector and
// objectSelector are applied as kube-apiserver applies them (see selectorsAdmit). Not
// modelled: matchConditions, reinvocation, service references (tests use url).
import { request } from 'node:https';
import { randomUUID } from 'node:crypto';
import jsonpatch from 'fast-json-patch';
import type { AdmissionAttributes, AdmissionCaller, AdmissionOutcome } from './admission-types.js';
import { formatLabelSelector, matchLabels, parseLabelSelector } from './selectors.js';
import type { AdmissionContext } from './server.js';

/** A metav1.LabelSelector; absent or empty selects everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface Rule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

interface Webhook {
  name: string;
  clientConfig?: { url?: string; caBundle?: string };
  rules?: Rule[];
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);

/** True when one rule covers the attributes (resource `plural`, `plural/sub`, `*`, `*\/sub`, `plural/*`). */
export function ruleMatches(rule: Rule, a: Pick<AdmissionAttributes, 'operation' | 'resource' | 'subResource' | 'namespace'>): boolean {
  if (!has(rule.operations, a.operation) || !has(rule.apiGroups, a.resource.group) || !has(rule.apiVersions, a.resource.version)) return false;
  const want = a.subResource ? `${a.resource.resource}/${a.subResource}` : a.resource.resource;
  const resourceOk = (rule.resources ?? []).some((r) => {
    if (r === '*') return !a.subResource;
    if (r === '*/*') return true;
    const [res, sub] = r.split('/');
    if (sub === undefined) return res === want;
    return (res === '*' || res === a.resource.resource) && (sub === '*' || sub === a.subResource);
  });
  if (!resourceOk) return false;
  const scope = rule.scope ?? '*';
  return scope === '*' || (scope === 'Namespaced' ? a.namespace !== '' : a.namespace === '');
}

/** True when `labels` satisfy `sel` (an unparsable selector selects nothing, as a rejected configuration would). */
export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return true;
  const parsed = parseLabelSelector(formatLabelSelector(sel));
  return parsed.ok && matchLabels(parsed.value, labels);
}

type Labelled = { metadata?: { labels?: Record<string, string> } } | null | undefined;

/**
 * Whether a webhook's selectors let a request through, as kube-apiserver decides: the object
 * selector is matched against the new object's labels or the old one's (either suffices, so a
 * delete or a label change is still seen); the namespace selector against the labels of the
 * request's namespace, of the object itself when it is a Namespace, and not at all for other
 * cluster-scoped objects.
 */
export function selectorsAdmit(w: { namespaceSelector?: LabelSelector; objectSelector?: LabelSelector }, a: Pick<AdmissionAttributes, 'namespace' | 'resource'> & { object?: unknown; oldObject?: unknown }, namespaceLabels: (name: string) => Record<string, string> | undefined): boolean {
  const labelsOf = (o: unknown) => (o as Labelled)?.metadata?.labels ?? {};
  // An absent object (the old one on CREATE, the new one on DELETE) matches nothing.
  const objectMatches = (o: unknown) => o !== undefined && o !== null && selectorMatches(w.objectSelector, labelsOf(o));
  if (w.objectSelector && !objectMatches(a.object) && !objectMatches(a.oldObject)) return false;
  if (!w.namespaceSelector) return true;
  if (a.resource.group === '' && a.resource.resource === 'namespaces') return selectorMatches(w.namespaceSelector, labelsOf(a.object ?? a.oldObject));
  if (a.namespace === '') return true;
  return selectorMatches(w.namespaceSelector, namespaceLabels(a.namespace) ?? {});
}

function post(url: string, ca: string | undefined, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, ca, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The AdmissionCaller of startTestApiServer({ admission }) that calls the configured webhooks. */
export function webhookAdmission(ctx: AdmissionContext): AdmissionCaller {
  return async (a) => {
    const kind = a.phase === 'mutating' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration';
    const warnings: string[] = [];
    let object = a.object;
    for (const cfg of ctx.webhookConfigurations(kind)) {
      for (const w of ((cfg as { webhooks?: Webhook[] }).webhooks ?? [])) {
        if (!(w.rules ?? []).some((r) => ruleMatches(r, a))) continue;
        if (!selectorsAdmit(w, { ...a, object }, (n) => ctx.namespaceLabels(n))) continue;
        const uid = randomUUID();
        const review = {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { uid, kind: a.kind, resource: a.resource, subResource: a.subResource || undefined, requestKind: a.kind, requestResource: a.resource, name: a.name, namespace: a.namespace || undefined, operation: a.operation, userInfo: a.userInfo, object: object ?? null, oldObject: a.oldObject ?? null, dryRun: a.dryRun, options: null },
        };
        const timeoutMs = (w.timeoutSeconds ?? 10) * 1000;
        const ca = w.clientConfig?.caBundle ? Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8') : undefined;
        let answer: { response?: { uid?: string; allowed?: boolean; status?: { code?: number; message?: string; reason?: string }; patch?: string; patchType?: string; warnings?: string[] } };
        try {
          if (!w.clientConfig?.url) throw new Error('no clientConfig.url (service references are not modelled by the test server)');
          const res = await post(w.clientConfig.url, ca, JSON.stringify(review), timeoutMs);
          if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 200)}`);
          answer = JSON.parse(res.text);
          if (answer.response?.uid !== uid) throw new Error('the response uid does not match the request');
        } catch (err) {
          if (w.failurePolicy === 'Ignore') continue;
          return { allowed: false, warnings, status: { code: 500, reason: 'InternalError', message: `Internal error occurred: failed calling webhook "${w.name}": ${(err as Error).message}` } } satisfies AdmissionOutcome;
        }
        const r = answer.response!;
        warnings.push(...(r.warnings ?? []));
        if (!r.allowed) {
          const code = r.status?.code ?? 403;
          return { allowed: false, warnings, status: { code, reason: r.status?.reason, message: `admission webhook "${w.name}" denied the request: ${r.status?.message ?? 'without explanation'}` } };
        }
        if (a.phase === 'mutating' && r.patch && object) {
          if (r.patchType !== 'JSONPatch') return { allowed: false, warnings, status: { code: 500, reason: 'InternalError', message: `webhook "${w.name}" sent a patch of type ${r.patchType}` } };
          const ops = JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8')) as jsonpatch.Operation[];
          object = jsonpatch.applyPatch(structuredClone(object), ops, true).newDocument;
        }
      }
    }
    return { allowed: true, warnings, object: a.phase === 'mutating' ? object : undefined };
  };
}
