import { expect } from 'chai';
import { DocumentParseError } from './errors.js';
import { formatValidation } from './format.js';
import { parseDocuments } from './parse.js';
import { validateResource } from './validate.js';

const MODEL = `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata:
  name: llama
spec:
  backends:
    - name: main
      type: vLLM
      modelURI: hf://meta-llama/Llama-3.1-8B-Instruct
      maxReplicas: 2
`;

function parseError(text: string, source = 'bad.yaml'): DocumentParseError {
  try {
    parseDocuments(text, source);
  } catch (e) {
    if (e instanceof DocumentParseError) return e;
    throw e;
  }
  return expect.fail('expected a DocumentParseError');
}

describe('parseDocuments', () => {
  it('splits multi-document YAML, skipping empty documents, with index, line and source', () => {
    const docs = parseDocuments(`---\n${MODEL}---\n---\n# only a comment\n---\nkind: ModelRoute\n`, 'all.yaml');
    expect(docs.map((d) => [d.index, d.line, d.source])).to.deep.equal([
      [0, 2, 'all.yaml'],
      [1, 16, 'all.yaml'],
    ]);
    expect((docs[1].doc as { kind: string }).kind).to.equal('ModelRoute');
  });

  it('reads JSON: one object, an array, or a Kubernetes List', () => {
    expect(parseDocuments('{"kind":"Model"}', 'a.json').map((d) => d.doc)).to.deep.equal([{ kind: 'Model' }]);
    expect(parseDocuments('[{"kind":"Model"},{"kind":"ModelRoute"}]', 'b.json').map((d) => d.index)).to.deep.equal([0, 1]);
    const list = parseDocuments('{"apiVersion":"v1","kind":"List","items":[{"kind":"Model"},{"kind":"ModelServer"}]}', 'c.json');
    expect(list.map((d) => (d.doc as { kind: string }).kind)).to.deep.equal(['Model', 'ModelServer']);
  });

  it('reports a YAML syntax error with its line and column', () => {
    const e = parseError(`${MODEL}---\nkind: Model\nspec: [1, 2\nmetadata: {}\n`);
    expect(e.code).to.equal('MI_ERR_PARSE');
    expect(e.issues[0].line).to.equal(14);
    expect(e.message).to.match(/^bad\.yaml:14:\d+: /);
  });

  it('rejects duplicate keys (one of them would be silently lost)', () => {
    const e = parseError('kind: Model\nkind: ModelRoute\n', 'dup.yaml');
    expect(e.issues).to.have.length(1);
    expect(e.issues[0]).to.include({ line: 2, column: 1 });
    expect(e.message).to.contain('dup.yaml:2:1:').and.contain('unique');
  });

  // Regression (resource fuzz): the alias check threw a plain error after parsing, so `mi apply`
  // exited 5 ("unexpected failure") and the API answered 500 instead of refusing the input.
  it('refuses a YAML alias bomb as a parse error (MI_ERR_PARSE), not a crash', () => {
    const lines = ['l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]'];
    for (let i = 1; i < 8; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]`);
    const e = parseError(`${MODEL}---\n${lines.join('\n')}\n`, 'bomb.yaml');
    expect(e.code).to.equal('MI_ERR_PARSE');
    expect(e.message).to.match(/^bomb\.yaml:\d+:1: .*alias/i);
  });

  // Regression (resource fuzz): one "Maximum call stack size exceeded" per unwound level, a
  // number that depended on the caller's stack, so the CLI and the API listed different errors.
  it('refuses a document nested thousands deep with one stable issue', () => {
    const e = parseError(`{"kind":"Model","spec":${'['.repeat(5000)}1${']'.repeat(5000)}}`, 'deep.json');
    expect(e.issues).to.deep.equal([{ line: 1, column: 1, message: 'the document nests too deeply to parse' }]);
  });

  it('reports a JSON syntax error with its line', () => {
    const e = parseError('{\n  "kind": "Model",\n  "metadata": {"name": "a",}\n', 'x.json');
    expect(e.issues[0].line).to.be.at.least(3);
  });
});

describe('formatValidation', () => {
  it('prints `kind/name valid` for a valid document', () => {
    const [d] = parseDocuments(MODEL, 'm.yaml');
    expect(formatValidation(d, validateResource(d.doc))).to.deep.equal(['Model/llama valid']);
  });

  it('prints one line per issue with source, document index, kind/name, path and reason', () => {
    const text = `${MODEL}---\n${MODEL.replace('maxReplicas: 2', 'maxReplicas: 0\n      routeWeight: 140')}`;
    const docs = parseDocuments(text, 'm.yaml');
    expect(formatValidation(docs[1], validateResource(docs[1].doc))).to.deep.equal([
      'm.yaml#1 Model/llama: spec.backends[0].maxReplicas: must be at least 1 (got 0)',
      'm.yaml#1 Model/llama: spec.backends[0].routeWeight: must be between 0 and 100 (got 140)',
      'm.yaml#1 Model/llama: spec.backends[0].minReplicas: must not be greater than maxReplicas (1 > 0)',
    ]);
  });

  it('names documents without kind or name, and whole-document problems', () => {
    const [d] = parseDocuments('- 1\n', 'odd.yaml');
    expect(formatValidation(d, validateResource(d.doc))).to.deep.equal([
      'odd.yaml#0 <no kind>/<no name>: <document>: must be an object with apiVersion, kind, metadata and spec (got 1)',
    ]);
  });
});
