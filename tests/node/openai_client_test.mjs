// The official `openai` npm client against `occam serve` (chained to the tests' fake upstream):
// chat (plain and streamed), completions, embeddings, models, JSON mode, a tool call, and the error cases.
// Usage: node openai_client_test.mjs --occam PATH/occam --fake PATH/occam_fake_upstream
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
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

const arg = (name) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`missing ${name}`);
  return process.argv[i + 1];
};
const occamPath = arg('--occam');
const fakePath = arg('--fake');

// Starts a child and resolves with the first stdout line matching `pattern`.
function start(cmd, args, pattern) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) { clearTimeout(timer); resolve({ child, match: m }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited with ${code}`)); });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'occam-node-'));
const fake = await start(fakePath, [], /port (\d+)/);
const upstream = `http://127.0.0.1:${fake.match[1]}/v1`;
const model = (name, extra = '') =>
  `  ${name}:\n    backend: remote\n    base_url: ${upstream}\n    model: ${name}\n` +
  `    timeouts: {first_byte_ms: 500, total_ms: 5000}\n    retry: {max_attempts: 2, backoff_base_ms: 10}\n${extra}`;
const config = join(dir, 'occam.yaml');
writeFileSync(config, 'server:\n  threads: 2\n  limits: {max_body_bytes: 100000}\nmodels:\n' +
  model('echo') + model('json') + model('tool') + model('stall') + model('garbage') +
  'api_keys:\n  - {name: test, key: sk-test}\n');
const occam = await start(occamPath, ['serve', '--config', config, '--port', '0'], /listening on [^:]+:(\d+)/);
const baseURL = `http://127.0.0.1:${occam.match[1]}/v1`;
const client = new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, timeout: 10000 });

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
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

occam.child.kill('SIGTERM');
const code = await new Promise((resolve) => occam.child.on('exit', (c) => resolve(c)));
await check('SIGTERM drains and exits 0', async () => assert.equal(code, 0));
fake.child.stdin.end();
fake.child.kill();
rmSync(dir, { recursive: true, force: true });
console.log(failures === 0 ? 'all node client checks passed' : `${failures} node client check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
