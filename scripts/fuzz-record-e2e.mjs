// Records what the e2e suite's mock upstreams receive and answer, as fuzz seeds' raw material.
// Loaded into every node process of a run through NODE_OPTIONS; it only watches node:http
// servers (the mocks), never changes what they do, and is inert without CCGATE_FUZZ_RECORD.
//
//   make test-build
//   CCGATE_FUZZ_RECORD=/tmp/ccgate-e2e-bodies NODE_OPTIONS=--import=$PWD/scripts/fuzz-record-e2e.mjs make e2e
//   node scripts/fuzz-seeds.mjs --e2e /tmp/ccgate-e2e-bodies
//
// Layout of the directory: anthropic-requests/ (what the real Claude Code CLI sent the mock
// Anthropic model), openai-requests/ (what ccgate sent the mock OpenAI upstream),
// openai-json-answers/ and openai-sse-answers/ (the mock's 200 answers),
// anthropic-sse-answers/ (the mock model's streams). One file per distinct body.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const dir = process.env.CCGATE_FUZZ_RECORD;

function save(kind, bytes) {
  if (bytes.length === 0) return;
  const target = path.join(dir, kind);
  fs.mkdirSync(target, { recursive: true });
  const name = crypto.createHash('sha1').update(bytes).digest('hex').slice(0, 16);
  fs.writeFileSync(path.join(target, name), bytes);
}

function kindOf(url) {
  if (url.includes('/chat/completions')) return 'openai';
  if (url.includes('/v1/messages') && !url.includes('count_tokens')) return 'anthropic';
  return null;
}

function record(req, res) {
  const kind = kindOf(req.url ?? '');
  if (kind === null) return;
  // push() sees the body whichever way the mock reads it (events, async iteration).
  const body = [];
  const push = req.push;
  req.push = function (chunk, ...rest) {
    if (chunk === null) save(`${kind}-requests`, Buffer.concat(body));
    else if (chunk) body.push(Buffer.from(chunk));
    return push.call(this, chunk, ...rest);
  };
  const answer = [];
  const keep = (chunk, encoding) => {
    if (chunk && typeof chunk !== 'function') {
      answer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8'));
    }
  };
  const write = res.write;
  res.write = function (chunk, encoding, ...rest) {
    keep(chunk, encoding);
    return write.call(this, chunk, encoding, ...rest);
  };
  const end = res.end;
  res.end = function (chunk, encoding, ...rest) {
    keep(chunk, encoding);
    if (res.statusCode === 200) {
      // Headers given to writeHead() are not visible to getHeader(): tell by the body.
      const bytes = Buffer.concat(answer);
      const text = bytes.toString('utf8', 0, Math.min(bytes.length, 64)).trimStart();
      const format = /^(data|event|:)/.test(text) ? 'sse' : /^[[{]/.test(text) ? 'json' : null;
      if (format) save(`${kind}-${format}-answers`, bytes);
    }
    return end.call(this, chunk, encoding, ...rest);
  };
}

if (dir) {
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, res) {
    if (event === 'request') {
      try {
        record(req, res);
      } catch {
        // Recording must never break a test.
      }
    }
    return emit.apply(this, arguments);
  };
}
