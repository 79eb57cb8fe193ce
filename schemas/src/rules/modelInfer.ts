// Cross-field rules of ModelInfer.
import type { ValidationIssue } from '../issues.js';
import { childPath } from '../paths.js';
import { arr, num, obj, str, uniqueBy } from './util.js';

/** The flat (old) rollout fields and rollingUpdateConfiguration may not both set one field. */
function rolloutRules(spec: Record<string, unknown> | undefined): ValidationIssue[] {
  const rs = obj(spec?.rolloutStrategy);
  const nested = obj(rs?.rollingUpdateConfiguration);
  if (!rs || !nested) return [];
  return ['maxUnavailable', 'maxSurge', 'partition']
    .filter((k) => rs[k] !== undefined && nested[k] !== undefined)
    .map((k) => ({ path: childPath('spec.rolloutStrategy', k), message: `is also set in rollingUpdateConfiguration; keep only rollingUpdateConfiguration.${k}` }));
}

/** ModelInfer rules: unique role names, worker template when workers exist, gang roles exist. */
export function modelInferRules(doc: { spec?: unknown }): ValidationIssue[] {
  const template = obj(obj(doc.spec)?.template);
  const roles = arr(template?.roles);
  const base = 'spec.template.roles';
  const out = [...uniqueBy(roles, 'name', base, 'role name'), ...rolloutRules(obj(doc.spec))];
  roles.forEach((r, i) => {
    const role = obj(r);
    if (!role) return;
    const workers = num(role.workerReplicas) ?? 0;
    if (workers > 0 && role.workerTemplate === undefined) {
      out.push({ path: childPath(base, i, 'workerTemplate'), message: `is required when workerReplicas is greater than 0 (got ${workers})` });
    }
    for (const t of ['entryTemplate', 'workerTemplate']) {
      const containers = arr(obj(obj(role[t])?.spec)?.containers);
      out.push(...uniqueBy(containers, 'name', childPath(base, i, t, 'spec', 'containers'), 'container name'));
    }
  });
  const minRole = obj(obj(template?.gangSchedule)?.minRoleReplicas);
  for (const [name, value] of Object.entries(minRole ?? {})) {
    const path = childPath('spec.template.gangSchedule.minRoleReplicas', name);
    const role = roles.map(obj).find((r) => str(r?.name) === name);
    if (!role) {
      const names = roles.map((r) => str(obj(r)?.name)).filter((n) => n !== undefined);
      out.push({ path, message: `names no role of this template (roles: ${names.join(', ') || 'none'})` });
      continue;
    }
    const replicas = num(role.replicas);
    const v = num(value);
    if (v !== undefined && replicas !== undefined && v > replicas) {
      out.push({ path, message: `must not be greater than the role's replicas (${v} > ${replicas})` });
    }
  }
  return out;
}
