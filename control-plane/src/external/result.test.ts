// Prometheus /api/v1/query answers -> the value the autoscaler scales on, or a coded error.
import { expect } from 'chai';
import { interpretQueryResponse } from './result.js';
import { queryUrl } from './prometheus.js';

const ok = (data: unknown) => JSON.stringify({ status: 'success', data });
const series = (v: string, labels: Record<string, string> = {}) => ({ metric: labels, value: [1735689600.5, v] });

describe('external metrics: reading /api/v1/query answers', () => {
  const cases: { name: string; status?: number; body: string; value?: number; code?: string; message?: RegExp }[] = [
    { name: 'a scalar', body: ok({ resultType: 'scalar', result: [1735689600.5, '12.5'] }), value: 12.5 },
    { name: 'an instant vector: the sum of its series', body: ok({ resultType: 'vector', result: [series('1.5', { pod: 'a' }), series('2', { pod: 'b' }), series('0.25')] }), value: 3.75 },
    { name: 'a one-series vector (sum(...))', body: ok({ resultType: 'vector', result: [series('7')] }), value: 7 },
    { name: 'a negative value', body: ok({ resultType: 'scalar', result: [1, '-3'] }), value: -3 },
    { name: 'an empty vector is missing data, not zero', body: ok({ resultType: 'vector', result: [] }), code: 'MI_ERR_EXTERNAL_EMPTY_RESULT', message: /or vector\(0\)/ },
    { name: 'a range vector', body: ok({ resultType: 'matrix', result: [{ metric: {}, values: [[1, '1']] }] }), code: 'MI_ERR_EXTERNAL_NOT_NUMERIC', message: /range vector/ },
    { name: 'a string', body: ok({ resultType: 'string', result: [1, 'hello'] }), code: 'MI_ERR_EXTERNAL_NOT_NUMERIC' },
    { name: 'a NaN scalar', body: ok({ resultType: 'scalar', result: [1, 'NaN'] }), code: 'MI_ERR_EXTERNAL_NOT_NUMERIC', message: /is NaN/ },
    { name: 'a vector with +Inf', body: ok({ resultType: 'vector', result: [series('1'), series('+Inf')] }), code: 'MI_ERR_EXTERNAL_NOT_NUMERIC', message: /\+Inf/ },
    { name: 'a series without a value', body: ok({ resultType: 'vector', result: [{ metric: {} }] }), code: 'MI_ERR_EXTERNAL_BAD_RESPONSE' },
    { name: 'a value that is not a number', body: ok({ resultType: 'scalar', result: [1, 'twelve'] }), code: 'MI_ERR_EXTERNAL_BAD_RESPONSE' },
    {
      name: 'bad PromQL (HTTP 400, status error)',
      status: 400,
      body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected end of input' }),
      code: 'MI_ERR_EXTERNAL_QUERY_FAILED',
      message: /^Prometheus refused the query \(HTTP 400\): bad_data: 1:5: parse error/,
    },
    { name: 'an execution error (HTTP 422)', status: 422, body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed' }), code: 'MI_ERR_EXTERNAL_QUERY_FAILED', message: /execution: many-to-many/ },
    { name: 'a proxy error page (HTTP 502)', status: 502, body: '<html>Bad Gateway</html>', code: 'MI_ERR_EXTERNAL_HTTP_STATUS', message: /HTTP 502: <html>Bad Gateway/ },
    { name: 'a wrong URL (HTTP 404, JSON of something else)', status: 404, body: '{"message":"not found"}', code: 'MI_ERR_EXTERNAL_HTTP_STATUS' },
    { name: 'HTTP 200 that is not JSON', body: 'up 1', code: 'MI_ERR_EXTERNAL_BAD_RESPONSE', message: /not JSON/ },
    { name: 'HTTP 200 JSON of another API', body: '{"data":[]}', code: 'MI_ERR_EXTERNAL_BAD_RESPONSE' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const o = interpretQueryResponse(tc.status ?? 200, tc.body);
      if (tc.value !== undefined) return expect(o).to.deep.equal({ value: tc.value });
      expect('error' in o && o.error.code, JSON.stringify(o)).to.equal(tc.code);
      if (tc.message && 'error' in o) expect(o.error.message).to.match(tc.message);
    });
  }

  it('builds the query URL: time in seconds, the query encoded, a base path kept', () => {
    const u = queryUrl('http://127.0.0.1:9090/prom', 'sum(rate(x_total{a="b"}[1m]))', 1735689600123);
    expect(u.pathname).to.equal('/prom/api/v1/query');
    expect(u.searchParams.get('query')).to.equal('sum(rate(x_total{a="b"}[1m]))');
    expect(u.searchParams.get('time')).to.equal('1735689600.123');
    expect(queryUrl('http://h:1/', 'up', 0).toString()).to.equal('http://h:1/api/v1/query?query=up&time=0.000');
  });
});
