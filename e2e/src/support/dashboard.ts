// Reads a Grafana dashboard's PromQL: every panel target's `expr` (rows' nested panels
// included), with template variables replaced so Prometheus can evaluate it directly.

interface PanelLike {
  targets?: { expr?: unknown; refId?: unknown }[];
  panels?: PanelLike[];
  title?: unknown;
}

/** One query of the dashboard, named by its panel and refId. */
export interface DashboardQuery {
  panel: string;
  refId: string;
  expr: string;
}

/** Every target expression of `dashboard` (Grafana JSON model), in panel order. */
export function dashboardQueries(dashboard: { panels?: PanelLike[] }): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: PanelLike[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (typeof t.expr === 'string' && t.expr.trim() !== '') out.push({ panel: String(p.title ?? ''), refId: String(t.refId ?? ''), expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/**
 * Replaces `$name`, `${name}` and `[[name]]` of each variable with its value (a regex such as
 * `.*`, for `=~` matchers) and Grafana's `$__rate_interval`/`$__interval` with `rateInterval`.
 * Throws when a `$variable` remains (the dashboard uses one the caller did not give).
 */
export function substituteVariables(expr: string, vars: Record<string, string>, rateInterval: string): string {
  let out = expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$__interval', rateInterval);
  // Longest names first, so `$model_name` is not read as `$model` + `_name`.
  for (const name of Object.keys(vars).sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(`\${${name}}`, vars[name]).replaceAll(`[[${name}]]`, vars[name]).replace(new RegExp(`\\$${name}(?![A-Za-z0-9_])`, 'g'), vars[name]);
  }
  const left = /\$\{?[A-Za-z_][A-Za-z0-9_]*/.exec(out);
  if (left) throw new Error(`unknown template variable ${left[0]} in: ${expr}`);
  return out;
}
