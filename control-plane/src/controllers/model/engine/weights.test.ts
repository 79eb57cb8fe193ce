import { expect } from 'chai';
import { cacheVolume, downloadContainer, downloadDir, isDownloadable, modelsMount } from './weights.js';

describe('engine weights', () => {
  const dirs: [string, string][] = [
    ['hf://Qwen/Qwen2.5-0.5B-Instruct', '/models/Qwen/Qwen2.5-0.5B-Instruct'],
    ['s3://model-bucket/deepseek-r1', '/models/model-bucket/deepseek-r1'],
    ['pvc://claim/llama/', '/models/claim/llama'],
    ['hf://a/../../etc', '/models/a/etc'],
  ];
  for (const [uri, want] of dirs) it(`downloadDir(${uri})`, () => expect(downloadDir(uri)).to.equal(want));

  it('downloadable schemes', () => {
    expect(['hf://a', 's3://b', 'pvc://c', 'hostpath://d', 'Qwen/Qwen2.5', 'https://x', undefined].map((u) => isDownloadable(u))).to.deep.equal([true, true, true, true, false, false, false]);
  });

  const volumes: { uri: string | undefined; want: unknown; mount: unknown }[] = [
    { uri: undefined, want: { name: 'models', emptyDir: {} }, mount: { name: 'models', mountPath: '/models' } },
    { uri: 'hostpath:///tmp/cache/', want: { name: 'models', hostPath: { path: '/tmp/cache', type: 'DirectoryOrCreate' } }, mount: { name: 'models', mountPath: '/models' } },
    { uri: 'hostpath://tmp/test', want: { name: 'models', hostPath: { path: '/tmp/test', type: 'DirectoryOrCreate' } }, mount: { name: 'models', mountPath: '/models' } },
    { uri: 'pvc://weights/team-a', want: { name: 'models', persistentVolumeClaim: { claimName: 'weights' } }, mount: { name: 'models', mountPath: '/models', subPath: 'team-a' } },
  ];
  for (const tc of volumes) {
    it(`cache volume of ${tc.uri ?? 'no cacheURI'}`, () => {
      expect(cacheVolume(tc.uri).volume).to.deep.equal(tc.want);
      expect(modelsMount(tc.uri)).to.deep.equal(tc.mount);
    });
  }

  it('the init container runs mi download with the backend env and envFrom', () => {
    const env = [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
    const c = downloadContainer({ name: 'download-model', source: 'hf://a/b', outputDir: '/models/a/b' }, 'hostpath:///c', env, [{ secretRef: { name: 'creds' } }]);
    expect(c).to.deep.equal({
      name: 'download-model',
      image: 'matrixinfer/mi:latest',
      command: ['mi', 'download'],
      args: ['--source', 'hf://a/b', '--output-dir', '/models/a/b'],
      volumeMounts: [{ name: 'models', mountPath: '/models' }],
      env,
      envFrom: [{ secretRef: { name: 'creds' } }],
    });
  });
});
