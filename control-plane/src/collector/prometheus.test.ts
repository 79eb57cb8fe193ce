import { expect } from 'chai';
import { parsePrometheusText } from './prometheus.js';

describe('collector/parsePrometheusText', () => {
  const cases = [
    { name: 'bare sample', text: 'up 1', want: [{ name: 'up', labels: {}, value: 1 }] },
    { name: 'labels, colon names, timestamp', text: 'vllm:x{a="1",b="two"} 2.5 1764200000000', want: [{ name: 'vllm:x', labels: { a: '1', b: 'two' }, value: 2.5 }] },
    { name: 'escaped quote, backslash and newline in a label', text: 'm{p="a\\"b\\\\c\\nd"} 1', want: [{ name: 'm', labels: { p: 'a"b\\c\nd' }, value: 1 }] },
    { name: 'comma and brace inside a label value', text: 'm{p="x,y}z"} 3', want: [{ name: 'm', labels: { p: 'x,y}z' }, value: 3 }] },
    { name: 'trailing comma and spaces in the label set', text: 'm{ a = "1" , } 4', want: [{ name: 'm', labels: { a: '1' }, value: 4 }] },
    { name: '+Inf and NaN values', text: 'a +Inf\nb NaN', want: [{ name: 'a', labels: {}, value: Infinity }, { name: 'b', labels: {}, value: NaN }] },
    { name: 'comments, blank lines and CRLF', text: '# HELP a x\r\n# TYPE a gauge\r\n\r\na 7\r\n', want: [{ name: 'a', labels: {}, value: 7 }] },
    { name: 'malformed lines are dropped, the rest kept', text: 'good 1\nbad{a="1" 2\nworse{a=1} 3\nnovalue\n{x="y"} 4\nalso_good 5', want: [{ name: 'good', labels: {}, value: 1 }, { name: 'also_good', labels: {}, value: 5 }] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(parsePrometheusText(tc.text)).to.deep.equal(tc.want);
    });
  }
});
