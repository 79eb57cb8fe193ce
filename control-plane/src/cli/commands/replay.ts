// `mi replay --at TIME [--model NAME] [-o json]`: the routing table and resource states as they
// were at TIME, rebuilt from the streams.
import { Command } from 'commander';
import { jetstream } from '@nats-io/jetstream';
import type { RouteEntry } from '@matrixinfer/events';
import { conditionSummary } from '../columns.js';
import { withNats } from '../connect.js';
import type { CliIO, GlobalOptions } from '../io.js';
import { parseOutputFormat, toJson } from '../output.js';
import { filterByModel, rebuildAt, type StateAt } from '../replay-state.js';
import { renderTable } from '../table.js';
import { parseTimeArg } from '../time.js';

interface ReplayOptions {
  at: string;
  model?: string;
  output: string;
}

/** Routing table rows: one per rule target, with the ready endpoints of that server. */
export function routeRows(routes: RouteEntry[]): string[][] {
  const rows: string[][] = [];
  for (const e of routes) {
    for (const rule of e.rules) {
      for (const t of rule.targets) {
        const eps = e.servers[t.modelServer]?.endpoints ?? [];
        const where = eps.length ? eps.map((p) => `${p.id}=${p.address}`).join(', ') : '(none ready)';
        rows.push([e.name, e.kind, `${e.route}/${rule.name}`, t.modelServer, String(t.weight), where]);
      }
    }
  }
  return rows;
}

/** The text report of a rebuilt state. */
export function renderStateAt(s: StateAt): string {
  const lines: string[] = [`State at ${new Date(s.atMs).toISOString()} (replayed up to ${Object.entries(s.positions).map(([k, v]) => `${k} #${v}`).join(', ')})`, ''];
  lines.push('Routing table (mi-routes):');
  lines.push(s.routes.length ? renderTable(['NAME', 'KIND', 'ROUTE/RULE', 'SERVER', 'WEIGHT', 'ENDPOINTS'], routeRows(s.routes)) : '  (empty)');
  lines.push('', 'Resources:');
  const rows = s.resources.map((r) => {
    const st = (r.status ?? {}) as { conditions?: { type: string; status: string; reason?: string }[] };
    return [r.metadata.namespace, r.kind, r.metadata.name, String(r.metadata.generation), r.metadata.resourceVersion, conditionSummary(st.conditions)];
  });
  lines.push(rows.length ? renderTable(['NAMESPACE', 'KIND', 'NAME', 'GENERATION', 'REVISION', 'STATUS'], rows) : '  (none)');
  for (const c of s.conflicts) lines.push(`warning: ${c}`);
  return lines.join('\n');
}

/** The `replay` command. */
export function replayCommand(io: CliIO, globals: () => GlobalOptions): Command {
  return new Command('replay')
    .description('rebuild the routing table and resource states as they were at a time, from the streams')
    .requiredOption('--at <time>', 'a time (14:02, 2026-11-27T14:02:00Z) or a duration ago (10m)')
    .option('--model <name>', 'only this model: its route entries and the resources it owns')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (opts: ReplayOptions) => {
      const format = opts.output === 'text' ? 'text' : parseOutputFormat(opts.output, ['json']);
      const atMs = parseTimeArg(opts.at, io.nowMs());
      await withNats(globals(), io, async (nc) => {
        let s = await rebuildAt(jetstream(nc), atMs);
        if (opts.model) s = filterByModel(s, opts.model);
        if (format === 'json') {
          io.out(toJson({ at: new Date(s.atMs).toISOString(), positions: s.positions, routes: Object.fromEntries(s.routes.map((e) => [e.name, e])), resources: s.resources, conflicts: s.conflicts }));
        } else {
          io.out(renderStateAt(s));
        }
      });
    });
}
