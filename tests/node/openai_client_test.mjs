// The official `openai` npm client against `occam serve`, one case per run (each its own CTest test):
//   fake     a config of remote models chained to the tests' fake upstream: chat (plain and streamed),
//            completions, embeddings, models, JSON mode, a tool call, every error case, SIGTERM drain;
//   stories  `occam serve -m stories260K.gguf`: the embedded engine (greedy text = llama.cpp's reference),
//            429 from a one-slot engine without a queue,
//            streaming, JSON mode / json_schema constrained, errors;
//   tiny     `occam serve -m tiny/qwen2-Q8_0.gguf` (ChatML): chat, a tool call forced by tool_choice;
//   bert     `occam serve -m tiny/bert-F32.gguf`: embeddings (float and base64), errors;
//   chain    a second `occam serve -m stories260K.gguf` as the remote upstream of a first one.
// Every server listens on a free port (--port 0) and is stopped with SIGTERM at the end of its case.
// Usage: node openai_client_test.mjs --occam PATH/occam --case NAME [--fake PATH/occam_fake_upstream]
//        [--shared DIR (default $OCCAM_SHARED)]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules', 'openai'))) {
  console.error('tests/node/node_modules/openai is missing: run scripts/setup-node (npm install in tests/node)');
  process.exit(1);
}
const { default: OpenAI } = await import('openai');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) {
    if (fallback !== undefined) return fallback;
    throw new Error(`missing ${name}`);
  }
  return process.argv[i + 1];
};
const occamPath = arg('--occam');
const caseName = arg('--case', 'fake');
const shared = arg('--shared', process.env.OCCAM_SHARED ?? join(here, '..', '..', '..', 'shared'));
const dir = mkdtempSync(join(tmpdir(), 'occam-node-'));
const children = [];

// Starts a child and resolves with the first stdout line matching `pattern`.
function start(cmd, args, pattern) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, match: m }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited with ${code}`)); });
  });
}

// `occam serve ARGS` on a free port: its base URL and child.
async function serve(args) {
  const s = await start(occamPath, ['serve', ...args, '--port', '0'], /listening on [^:]+:(\d+)/);
  return { child: s.child, baseURL: `http://127.0.0.1:${s.match[1]}/v1` };
}

async function stop(server) {
  if (server.child.exitCode !== null) return server.child.exitCode;
  server.child.kill('SIGTERM');
  return new Promise((resolve) => server.child.on('exit', (c) => resolve(c)));
}

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${caseName}: ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${caseName}: ${name}: ${e.stack || e}`);
  }
}
async function expectStatus(status, fn, messagePart) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${e}`);
    assert.equal(e.status, status, e.message);
    assert.equal(typeof e.error?.message, 'string');
    assert.ok('type' in e.error && 'param' in e.error && 'code' in e.error, JSON.stringify(e.error));
    if (messagePart) assert.ok(e.message.includes(messagePart), e.message);
    return e;
  }
  throw new Error(`expected HTTP ${status}`);
}

// Shapes every chat answer has, whatever the backend.
function checkChat(r, model) {
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, model);
  assert.equal(typeof r.id, 'string');
  assert.equal(typeof r.created, 'number');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].index, 0);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(['stop', 'length', 'tool_calls'].includes(r.choices[0].finish_reason), r.choices[0].finish_reason);
  assert.ok(r.usage.prompt_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
}

// Streams a chat completion: the text, the finish reason, usage, and the chunks' shapes checked.
async function streamChat(client, params) {
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish = null;
  let usage = null;
  let first = true;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.model, params.model);
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (first) { assert.equal(c.delta.role, 'assistant'); first = false; }
      text += c.delta?.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { text, finish, usage };
}

// The first n pieces of llama.cpp's greedy continuation of "Once upon a time" on stories260K.
function referenceText(n) {
  const ref = JSON.parse(readFileSync(join(shared, 'reference', 'generate', 'stories260K-greedy.json'), 'utf8'));
  return ref.generated_pieces.slice(0, n).join('');
}

// ---- fake: remote models chained to the fake upstream ----------------------------------------------
async function fakeCase() {
  const fake = await start(arg('--fake'), [], /port (\d+)/);
  const upstream = `http://127.0.0.1:${fake.match[1]}/v1`;
  const model = (name, extra = '') =>
    `  ${name}:\n    backend: remote\n    base_url: ${upstream}\n    model: ${name}\n` +
    `    timeouts: {first_byte_ms: 500, total_ms: 5000}\n    retry: {max_attempts: 2, backoff_base_ms: 10}\n${extra}`;
  const config = join(dir, 'occam.yaml');
  writeFileSync(config, 'server:\n  threads: 2\n  limits: {max_body_bytes: 100000}\nmodels:\n' +
    model('echo') + model('json') + model('tool') + model('stall') + model('garbage') +
    'api_keys:\n  - {name: test, key: sk-test}\n');
  const occam = await serve(['--config', config]);
  const baseURL = occam.baseURL;
  const client = new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, timeout: 10000 });

  await check('chat completion', async () => {
    const r = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'bonjour' }] });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(r.choices[0].message.content, 'echo: bonjour');
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  await check('chat completion with raw response headers', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'echo', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    assert.ok(Number(response.headers.get('x-occam-overhead-ms')) >= 0);
  });

  await check('streamed chat completion', async () => {
    const stream = await client.chat.completions.create({
      model: 'echo', messages: [{ role: 'user', content: 'un deux trois' }], stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) text += c.delta?.content ?? '';
    }
    assert.equal(text, 'echo: un deux trois');
    assert.ok(usage && usage.completion_tokens > 0);
  });

  await check('completion', async () => {
    const r = await client.completions.create({ model: 'echo', prompt: 'abc', max_tokens: 5 });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices[0].text, 'echo: abc');
  });

  await check('embeddings (client default base64)', async () => {
    const r = await client.embeddings.create({ model: 'echo', input: ['ab', 'abcd'] });
    assert.equal(r.object, 'list');
    assert.equal(r.data.length, 2);
    assert.deepEqual(Array.from(r.data[1].embedding), [4, 0.5, -0.5]);
  });

  await check('embeddings (float)', async () => {
    const r = await client.embeddings.create({ model: 'echo', input: 'abc', encoding_format: 'float' });
    assert.deepEqual(r.data[0].embedding, [3, 0.5, -0.5]);
  });

  await check('models list and retrieve', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids.sort(), ['echo', 'garbage', 'json', 'stall', 'tool']);
    const one = await client.models.retrieve('echo');
    assert.equal(one.id, 'echo');
  });

  await check('JSON mode and json_schema', async () => {
    const r = await client.chat.completions.create({
      model: 'json', messages: [{ role: 'user', content: 'answer' }], response_format: { type: 'json_object' },
    });
    assert.equal(JSON.parse(r.choices[0].message.content).answer, 'yes');
    const s = await client.chat.completions.create({
      model: 'json', messages: [{ role: 'user', content: 'answer' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', strict: true, schema: {
        type: 'object', properties: { answer: { type: 'string' }, score: { type: 'integer' } },
        required: ['answer', 'score'], additionalProperties: false } } },
    });
    assert.equal(JSON.parse(s.choices[0].message.content).score, 3);
  });

  await check('tool call', async () => {
    const r = await client.chat.completions.create({
      model: 'tool', messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: {
        type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'auto',
    });
    const call = r.choices[0].message.tool_calls[0];
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  });

  await check('400 invalid field names the path', async () => {
    const e = await expectStatus(400, () => client.chat.completions.create({
      model: 'echo', messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 5 }] }),
      'messages[1].content');
    assert.equal(e.param, 'messages[1].content');
  });
  await check('400 unsupported schema keyword', () => expectStatus(400, () => client.chat.completions.create({
    model: 'json', messages: [{ role: 'user', content: 'a' }],
    response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'string', pattern: '^x' } } } }),
    'pattern'));
  await check('401 bad key', () => expectStatus(401, () =>
    new OpenAI({ apiKey: 'sk-wrong', baseURL, maxRetries: 0 }).models.list()));
  await check('404 unknown model', () => expectStatus(404, () => client.chat.completions.create({
    model: 'nope', messages: [{ role: 'user', content: 'a' }] })));
  await check('413 body too large', () => expectStatus(413, () => client.chat.completions.create({
    model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(200000) }] })));
  await check('502 upstream garbage', () => expectStatus(502, () => client.chat.completions.create({
    model: 'garbage', messages: [{ role: 'user', content: 'a' }] })));
  await check('504 upstream stall', () => expectStatus(504, () => client.chat.completions.create({
    model: 'stall', messages: [{ role: 'user', content: 'a' }] })));


  const code = await stop(occam);
  await check('SIGTERM drains and exits 0', async () => assert.equal(code, 0));
  fake.child.stdin.end();
  fake.child.kill();
}

// Checks shared by the embedded stories260K model served directly and through a remote hop.
async function storiesChecks(client, model) {
  await check('models list', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes(model), JSON.stringify(ids));
  });

  await check('completion: greedy text is llama.cpp\'s', async () => {
    const r = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 16, temperature: 0 });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices[0].text, referenceText(16));
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.prompt_tokens, 5);
    assert.equal(r.usage.completion_tokens, 16);
  });

  await check('streamed completion', async () => {
    const stream = await client.completions.create({
      model, prompt: 'Once upon a time', max_tokens: 16, temperature: 0, stream: true });
    let text = '';
    let finish = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, referenceText(16));
    assert.equal(finish, 'length');
  });

  const chat = { model, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24, temperature: 0 };
  await check('chat completion and its stream give the same greedy text', async () => {
    const r = await client.chat.completions.create(chat);
    checkChat(r, model);
    assert.equal(typeof r.choices[0].message.content, 'string');
    assert.ok(r.usage.completion_tokens <= 24);
    const s = await streamChat(client, chat);
    assert.equal(s.text, r.choices[0].message.content);
    assert.equal(s.finish, r.choices[0].finish_reason);
    assert.equal(s.usage.completion_tokens, r.usage.completion_tokens);
  });

  await check('stop strings', async () => {
    const full = referenceText(16);
    const stop = full.slice(10, 13);
    const r = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 16, temperature: 0, stop });
    assert.equal(r.choices[0].text, full.slice(0, full.indexOf(stop)));
    assert.equal(r.choices[0].finish_reason, 'stop');
  });

  await check('JSON mode (json_object) parses', async () => {
    const r = await client.chat.completions.create({ ...chat, max_tokens: 400, response_format: { type: 'json_object' } });
    checkChat(r, model);
    assert.equal(r.choices[0].finish_reason, 'stop', r.choices[0].message.content);
    const v = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof v, 'object');
    assert.ok(v !== null && !Array.isArray(v));
  });

  await check('json_schema answer validates', async () => {
    const r = await client.chat.completions.create({
      ...chat, max_tokens: 400,
      response_format: { type: 'json_schema', json_schema: { name: 'a', strict: true, schema: {
        type: 'object', properties: { mood: { enum: ['happy', 'sad'] }, age: { type: 'integer', minimum: 1, maximum: 9 },
          name: { type: 'string', maxLength: 10 } },
        required: ['mood', 'age', 'name'], additionalProperties: false } } },
    });
    assert.equal(r.choices[0].finish_reason, 'stop', r.choices[0].message.content);
    const v = JSON.parse(r.choices[0].message.content);
    assert.deepEqual(Object.keys(v).sort(), ['age', 'mood', 'name']);
    assert.ok(['happy', 'sad'].includes(v.mood));
    assert.ok(Number.isInteger(v.age) && v.age >= 1 && v.age <= 9);
    assert.ok(typeof v.name === 'string' && [...v.name].length <= 10);
  });

  await check('404 unknown model', () => expectStatus(404, () => client.chat.completions.create({
    model: 'nope', messages: [{ role: 'user', content: 'a' }] })));
  await check('400 invalid field names the path', async () => {
    const e = await expectStatus(400, () => client.chat.completions.create({
      model, messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 5 }] }), 'messages[1].content');
    assert.equal(e.param, 'messages[1].content');
  });
  await check('400 unsupported schema keyword', () => expectStatus(400, () => client.chat.completions.create({
    ...chat, response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'string', pattern: '^x' } } } }),
    'pattern'));
}

// ---- stories: the embedded engine directly ---------------------------------------------------------
async function storiesCase() {
  const occam = await serve(['-m', join(shared, 'models', 'stories260K.gguf')]);
  const client = new OpenAI({ apiKey: 'unused', baseURL: occam.baseURL, maxRetries: 0, timeout: 20000 });
  const model = 'stories260K';
  await storiesChecks(client, model);

  await check('concurrent streams each get their own greedy text', async () => {
    const prompts = ['Once upon a time', 'Lily wanted to', 'The little dog', 'One day'];
    const one = (prompt) => client.completions.create({ model, prompt, max_tokens: 20, temperature: 0 })
      .then((r) => r.choices[0].text);
    const alone = [];
    for (const p of prompts) alone.push(await one(p));
    const together = await Promise.all(prompts.map(one));
    assert.deepEqual(together, alone);
  });
  await check('400 logprobs on the engine', () => expectStatus(400, () => client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'a' }], logprobs: true })));
  await check('400 embeddings on a decoder model', () => expectStatus(400, () =>
    client.embeddings.create({ model, input: 'x' })));
  await check('400 prompt longer than the context', () => expectStatus(400, () =>
    client.completions.create({ model, prompt: 'Once upon a time '.repeat(2000), max_tokens: 1 }), 'context'));
  const code = await stop(occam);
  await check('SIGTERM drains and exits 0', async () => assert.equal(code, 0));

  // One slot and no queue: concurrent requests beyond the running one are refused at once with 429.
  const config = join(dir, 'one-slot.yaml');
  writeFileSync(config, `models:\n  one:\n    backend: engine\n    path: "${join(shared, 'models', 'stories260K.gguf')}"\n` +
    '    context: 512\n    max_sequences: 1\n    max_queue: 0\n');
  const small = await serve(['--config', config]);
  const busy = new OpenAI({ apiKey: 'unused', baseURL: small.baseURL, maxRetries: 0, timeout: 20000 });
  await check('429 in the OpenAI shape when the queue is full', async () => {
    const one = () => busy.completions.create({ model: 'one', prompt: 'Once upon a time', max_tokens: 400 })
      .then(() => null, (e) => e);
    const outcomes = await Promise.all(Array.from({ length: 6 }, one));
    const refused = outcomes.filter((e) => e !== null);
    assert.ok(refused.length >= 1 && refused.length < 6, `${refused.length} of 6 refused`);
    for (const e of refused) {
      assert.ok(e instanceof OpenAI.APIError, String(e));
      assert.equal(e.status, 429, e.message);
      assert.equal(e.error.type, 'rate_limit_error');
      assert.ok(e.message.includes('max_queue 0'), e.message);  // the engine's queue, not another limit
      assert.ok('param' in e.error && 'code' in e.error, JSON.stringify(e.error));
    }
  });
  await stop(small);
}

// ---- tiny: a tiny random-weight qwen2 (ChatML) with a forced tool call ------------------------------
async function tinyCase() {
  const occam = await serve(['-m', join(shared, 'models', 'tiny', 'qwen2-Q8_0.gguf')]);
  const client = new OpenAI({ apiKey: 'unused', baseURL: occam.baseURL, maxRetries: 0, timeout: 20000 });
  const model = 'qwen2-Q8_0';
  const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Weather in Paris?' }];

  await check('chat completion and stream (seeded)', async () => {
    const params = { model, messages, max_tokens: 12, temperature: 0.8, seed: 7 };
    const r = await client.chat.completions.create(params);
    checkChat(r, model);
    const s = await streamChat(client, params);
    assert.equal(s.text, r.choices[0].message.content);
  });

  const tools = [
    { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
    { type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: {
      type: 'object', properties: { city: { type: 'string', maxLength: 16 }, unit: { enum: ['C', 'F'] } },
      required: ['city', 'unit'], additionalProperties: false } } },
  ];
  const forced = { type: 'function', function: { name: 'get_weather' } };
  await check('tool call forced by tool_choice', async () => {
    const r = await client.chat.completions.create({ model, messages, tools, tool_choice: forced, max_tokens: 200 });
    checkChat(r, model);
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
    assert.equal(r.choices[0].message.content, null);
    const calls = r.choices[0].message.tool_calls;
    assert.equal(calls.length, 1);
    assert.equal(calls[0].type, 'function');
    assert.equal(typeof calls[0].id, 'string');
    assert.equal(calls[0].function.name, 'get_weather');
    const args = JSON.parse(calls[0].function.arguments);
    assert.equal(typeof args.city, 'string');
    assert.ok(['C', 'F'].includes(args.unit));
  });
  await check('streamed tool call', async () => {
    const stream = await client.chat.completions.create({ model, messages, tools, tool_choice: 'required',
      max_tokens: 200, stream: true });
    let name = '';
    let args = '';
    let finish = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        for (const t of c.delta?.tool_calls ?? []) {
          name += t.function?.name ?? '';
          args += t.function?.arguments ?? '';
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.equal(finish, 'tool_calls');
    assert.ok(['get_time', 'get_weather'].includes(name), name);
    assert.equal(typeof JSON.parse(args), 'object');
  });
  await check('400 tool_choice auto (the engine cannot let the model choose)', () => expectStatus(400, () =>
    client.chat.completions.create({ model, messages, tools, tool_choice: 'auto' })));
  await check('400 tool_choice names an unknown tool', () => expectStatus(400, () =>
    client.chat.completions.create({ model, messages, tools, tool_choice: { type: 'function', function: { name: 'nope' } } })));
  const code = await stop(occam);
  await check('SIGTERM drains and exits 0', async () => assert.equal(code, 0));
}

// ---- bert: embeddings on the embedded encoder --------------------------------------------------------
async function bertCase() {
  const occam = await serve(['-m', join(shared, 'models', 'tiny', 'bert-F32.gguf')]);
  const client = new OpenAI({ apiKey: 'unused', baseURL: occam.baseURL, maxRetries: 0, timeout: 20000 });
  const model = 'bert-F32';
  let floats = null;
  await check('embeddings (float)', async () => {
    const r = await client.embeddings.create({ model, input: ['hello world', 'a b c', 'hello world'], encoding_format: 'float' });
    assert.equal(r.object, 'list');
    assert.equal(r.model, model);
    assert.equal(r.data.length, 3);
    r.data.forEach((d, i) => { assert.equal(d.object, 'embedding'); assert.equal(d.index, i); });
    const dim = r.data[0].embedding.length;
    assert.ok(dim > 0);
    for (const d of r.data) {
      assert.equal(d.embedding.length, dim);
      assert.ok(d.embedding.every(Number.isFinite));
    }
    assert.deepEqual(r.data[2].embedding, r.data[0].embedding);
    assert.notDeepEqual(r.data[1].embedding, r.data[0].embedding);
    assert.ok(r.usage.prompt_tokens > 0);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens);
    floats = r.data[0].embedding;
  });
  await check('embeddings (client default base64) equal the floats', async () => {
    const r = await client.embeddings.create({ model, input: 'hello world' });
    const got = Array.from(r.data[0].embedding);
    assert.equal(got.length, floats.length);
    got.forEach((x, i) => assert.ok(Math.abs(x - floats[i]) <= 1e-6 * Math.max(1, Math.abs(floats[i])), `${i}: ${x} vs ${floats[i]}`));
  });
  await check('400 chat on an encoder model', () => expectStatus(400, () => client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'a' }] })));
  await check('400 embeddings dimensions', () => expectStatus(400, () =>
    client.embeddings.create({ model, input: 'x', dimensions: 8 })));
  await check('400 empty input', () => expectStatus(400, () => client.embeddings.create({ model, input: [] })));
  const code = await stop(occam);
  await check('SIGTERM drains and exits 0', async () => assert.equal(code, 0));
}

// ---- chain: a second occam serve as the remote upstream of the first -------------------------------
async function chainCase() {
  const upstream = await serve(['-m', join(shared, 'models', 'stories260K.gguf')]);
  const config = join(dir, 'occam.yaml');
  writeFileSync(config, 'server:\n  threads: 2\nmodels:\n' +
    `  story:\n    backend: remote\n    base_url: ${upstream.baseURL}\n    model: stories260K\n` +
    '    timeouts: {first_byte_ms: 10000, total_ms: 20000}\n' +
    'api_keys:\n  - {name: test, key: sk-test}\n');
  const front = await serve(['--config', config]);
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: front.baseURL, maxRetries: 0, timeout: 20000 });
  await storiesChecks(client, 'story');
  await check('401 bad key at the front', () => expectStatus(401, () =>
    new OpenAI({ apiKey: 'sk-wrong', baseURL: front.baseURL, maxRetries: 0 }).models.list()));
  await check('the front adds its overhead header', async () => {
    const { response } = await client.completions
      .create({ model: 'story', prompt: 'Once', max_tokens: 2 }).withResponse();
    assert.ok(Number(response.headers.get('x-occam-overhead-ms')) >= 0);
  });
  const frontCode = await stop(front);
  const upstreamCode = await stop(upstream);
  await check('SIGTERM drains both and they exit 0', async () => assert.deepEqual([frontCode, upstreamCode], [0, 0]));
}

const cases = { fake: fakeCase, stories: storiesCase, tiny: tinyCase, bert: bertCase, chain: chainCase };
if (!(caseName in cases)) throw new Error(`--case: one of ${Object.keys(cases).join(', ')}`);
try {
  await cases[caseName]();
} catch (e) {
  failures++;
  console.log(`FAIL ${caseName}: ${e.stack || e}`);
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures === 0 ? `all node client checks passed (${caseName})` : `${failures} node client check(s) failed (${caseName})`);
process.exit(failures === 0 ? 0 : 1);
