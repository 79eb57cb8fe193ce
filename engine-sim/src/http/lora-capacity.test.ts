import { expect } from 'chai';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { resolveOptions } from '../config.js';
import { parseArgs } from '../cli-args.js';
import { postJson } from './test-helpers.js';

async function modelIds(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
  return body.data.map((d) => d.id);
}

describe('sim LoRA capacity and load delay', () => {
  const sims: RunningSimulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  const start = async (opts: Parameters<typeof startSimulator>[0]): Promise<RunningSimulator> => {
    const sim = await startSimulator(opts);
    sims.push(sim);
    return sim;
  };

  it('vLLM: a load beyond --max-loaded-loras answers 400 BadRequestError "No free adapter slots."; unloading frees a slot', async () => {
    const sim = await start({ profile: 'cpu-small', model: 'base', enableLora: true, maxLoadedLoras: 1, loraModules: { a: '/p/a' } });
    const full = await postJson(`${sim.url}/v1/load_lora_adapter`, { lora_name: 'b', lora_path: '/p/b' });
    expect(full.status).to.equal(400);
    expect(full.json()).to.deep.equal({ error: { message: 'No free adapter slots.', type: 'BadRequestError', param: null, code: 400 } });
    expect(await modelIds(sim.url)).to.deep.equal(['base', 'a']);
    expect((await postJson(`${sim.url}/v1/unload_lora_adapter`, { lora_name: 'a' })).status).to.equal(200);
    expect((await postJson(`${sim.url}/v1/load_lora_adapter`, { lora_name: 'b', lora_path: '/p/b' })).status).to.equal(200);
    expect(await modelIds(sim.url)).to.deep.equal(['base', 'b']);
  });

  it('SGLang: a load beyond capacity answers 400 {success:false} with the max-loaded message', async () => {
    const sim = await start({ engine: 'sglang', profile: 'cpu-small', model: 'qwen', enableLora: true, maxLoras: 1 });
    expect((await postJson(`${sim.url}/load_lora_adapter`, { lora_name: 'a', lora_path: '/p/a' })).status).to.equal(200);
    const full = await postJson(`${sim.url}/load_lora_adapter`, { lora_name: 'b', lora_path: '/p/b' });
    expect(full.status).to.equal(400);
    const body = full.json() as { success: boolean; error_message: string };
    expect(body.success).to.equal(false);
    expect(body.error_message).to.equal('Cannot load LoRA adapter b at path /p/b. Maximum number of loaded LoRA adapters is 1. Please unload some LoRA adapters before loading new ones.');
  });

  it('a delayed load is not served until its answer comes; a second load of the same name meanwhile is refused', async () => {
    const sim = await start({ profile: 'cpu-small', model: 'base', enableLora: true, loraLoadDelayMs: 1000 });
    const load = (): ReturnType<typeof postJson> => postJson(`${sim.url}/v1/load_lora_adapter`, { lora_name: 'slow', lora_path: '/p/slow' });
    const both = [load(), load()];
    // Whichever reached the simulator second is refused at once; the first is still loading then.
    const refused = await Promise.race(both);
    expect(refused.status).to.equal(400);
    expect(await modelIds(sim.url)).to.deep.equal(['base']);
    const gen = await postJson(`${sim.url}/v1/completions`, { model: 'slow', prompt: 'hi', max_tokens: 1 });
    expect(gen.status).to.equal(404);
    const statuses = (await Promise.all(both)).map((r) => r.status).sort();
    expect(statuses).to.deep.equal([200, 400]);
    expect(await modelIds(sim.url)).to.deep.equal(['base', 'slow']);
  });

  it('flags: --max-loaded-loras and --lora-load-delay-ms; capacity defaults to --max-loras; too many start-up adapters is a config error', () => {
    const o = resolveOptions(parseArgs(['--profile', 'cpu-small', '--enable-lora', '--max-loaded-loras', '5', '--lora-load-delay-ms', '250']));
    expect(o.maxLoadedLoras).to.equal(5);
    expect(o.loraLoadDelayMs).to.equal(250);
    expect(resolveOptions({ profile: 'cpu-small', maxLoras: 3 }).maxLoadedLoras).to.equal(3);
    expect(() => resolveOptions({ profile: 'cpu-small', enableLora: true, maxLoadedLoras: 1, loraModules: { a: '/a', b: '/b' } })).to.throw(/maxLoadedLoras is 1/);
  });
});
