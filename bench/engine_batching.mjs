// Aggregate decode tokens/s through the gateway for 1, 4, 8 concurrent streaming clients on an embedded
// model, with the engine's batch scheduler (max_sequences 8) against the same server running one
// sequence at a time (max_sequences 1, the reference measured in the same run). Plain fetch + SSE, no
// client library.
// Usage: node bench/engine_batching.mjs --occam build/release/bin/occam --model MODEL.gguf
//        [--tokens 64] [--clients 1,4,8] [--threads 1] [--rounds 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`missing ${name}`);
  return fallback;
};
const occam = arg('--occam');
const modelPath = arg('--model');
const tokens = Number(arg('--tokens', '64'));
const clients = arg('--clients', '1,4,8').split(',').map(Number);
const threads = Number(arg('--threads', '1'));
const rounds = Number(arg('--rounds', '3'));
const prompts = ['Once upon a time', 'Lily wanted to', 'The little dog', 'One day, a girl named Sue',
  'Tom and his mom went', 'There was a big tree', 'The sun was', 'A bird flew'];

async function serve(maxSequences, dir) {
  const config = join(dir, `occam-${maxSequences}.yaml`);
  writeFileSync(config, `server:\n  threads: 2\nmodels:\n  m:\n    backend: engine\n    path: "${modelPath}"\n` +
    `    threads: ${threads}\n    context: 512\n    max_sequences: ${maxSequences}\n    max_queue: 64\n`);
  const child = spawn(occam, ['serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on [^:]+:(\d+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (c) => reject(new Error(`occam exited with ${c}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/v1/completions` };
}

// One streamed completion: the completion tokens the server reports.
async function stream(url, prompt) {
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', prompt, max_tokens: tokens, temperature: 0.8, seed: 1, stream: true,
      stream_options: { include_usage: true } }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let buffer = '';
  let usage = null;
  for await (const chunk of res.body) {
    buffer += Buffer.from(chunk).toString();
    let at;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const data = event.replace(/^data: /, '');
      if (data === '[DONE]') continue;
      const v = JSON.parse(data);
      if (v.usage) usage = v.usage;
    }
  }
  return usage.completion_tokens;
}

// Aggregate completion tokens / wall seconds for n concurrent clients.
async function measure(url, n) {
  const start = process.hrtime.bigint();
  const counts = await Promise.all(Array.from({ length: n }, (_, i) => stream(url, prompts[i % prompts.length])));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

// Both servers run side by side and their rounds alternate, so that a load change on a shared machine
// hits both; the best round of each is kept.
const dir = mkdtempSync(join(tmpdir(), 'occam-bench-'));
const servers = { 1: await serve(1, dir), 8: await serve(8, dir) };
const results = { 1: {}, 8: {} };
for (const s of Object.values(servers)) await stream(s.url, 'warm up');
for (const n of clients) {
  results[1][n] = 0;
  results[8][n] = 0;
  for (let r = 0; r < rounds; ++r) {
    for (const m of [8, 1]) results[m][n] = Math.max(results[m][n], await measure(servers[m].url, n));
  }
}
for (const s of Object.values(servers)) {
  s.child.kill('SIGTERM');
  await new Promise((resolve) => s.child.on('exit', resolve));
}
rmSync(dir, { recursive: true, force: true });
console.log(`model ${modelPath}, ${tokens} tokens per client, engine threads ${threads}, best of ${rounds} alternated rounds`);
console.log('clients  batched tok/s  one-at-a-time tok/s  ratio');
for (const n of clients) {
  const b = results[8][n];
  const s = results[1][n];
  console.log(`${String(n).padStart(7)}  ${b.toFixed(0).padStart(13)}  ${s.toFixed(0).padStart(19)}  ${(b / s).toFixed(2)}`);
}
