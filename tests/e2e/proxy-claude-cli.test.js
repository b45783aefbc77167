// The real Claude Code CLI with ccgate as its Messages API: the mock upstream (OpenAI shape)
// makes the "model" call the CLI's Write tool, the CLI runs it, and the next upstream request
// carries the tool result.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTempDir } from './lib/ccgate.js';
import { CLI_TIMEOUT_MS, claudeBinary, parseJsonLines, runClaude } from './lib/claude-cli.js';
import { ProxyFixture, textOf } from './lib/harness.js';
import { chunk, textStream, toolCallChunks, usage, usageChunk } from './lib/mock-openai.js';

describe('the Claude Code CLI through ccgate', { skip: claudeBinary ? false : 'Claude Code CLI not installed' }, () => {
  let proxy;
  let dir;

  before(async () => {
    proxy = await ProxyFixture.start({ env: { MIDDLE_MODEL: 'gpt-cli-middle' } });
    dir = makeTempDir('ccgate-e2e-cli-');
    for (const sub of ['home', 'tmp', 'work']) fs.mkdirSync(path.join(dir, sub));
  });
  after(async () => {
    await proxy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('claude -p runs a Write tool call served through ccgate and finishes with success', async () => {
    const work = path.join(dir, 'work');
    const target = path.join(work, 'hello.txt');
    const writeArguments = JSON.stringify({ file_path: target, content: 'hi from ccgate' });
    const finalText = 'I created hello.txt for you.';

    proxy.mock.defaultRule = (record) => {
      const messages = record.body?.messages ?? [];
      if (messages.some((m) => m.role === 'tool')) {
        return { stream: textStream(['I created ', 'hello.txt ', 'for you.'], { usage: usage(900, 9) }) };
      }
      return {
        stream: [
          chunk({ role: 'assistant' }),
          chunk({ content: 'Creating the file.' }),
          ...toolCallChunks(0, 'call_write_1', 'Write', [writeArguments.slice(0, 20), writeArguments.slice(20, 45), writeArguments.slice(45)]),
          chunk({}, { finishReason: 'tool_calls' }),
          usageChunk(usage(800, 40)),
        ],
        delayMs: 5,
      };
    };

    const env = {
      PATH: process.env.PATH,
      HOME: path.join(dir, 'home'),
      CLAUDE_CODE_TMPDIR: path.join(dir, 'tmp'),
      TMPDIR: path.join(dir, 'tmp'),
      ANTHROPIC_BASE_URL: proxy.url,
      ANTHROPIC_API_KEY: 'sk-test',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    };
    const run = await runClaude(
      ['-p', 'create hello.txt', '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Write', '--model', 'sonnet'],
      { cwd: work, env },
    );
    const diagnostics = `exit ${run.code} ${run.signal ?? ''}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- ccgate ---\n${proxy.gate.stderr}`;
    assert.ok(!run.timedOut, `the CLI hung for ${CLI_TIMEOUT_MS} ms\n${diagnostics}`);

    const lines = parseJsonLines(run.stdout);
    const result = lines.find((line) => line.type === 'result');
    assert.ok(result, `the CLI printed a result line\n${diagnostics}`);
    assert.equal(result.subtype, 'success', diagnostics);
    assert.equal(result.is_error, false, diagnostics);
    assert.equal(result.result, finalText);
    assert.equal(run.code, 0, diagnostics);

    assert.ok(fs.existsSync(target), `the Write tool created ${target}\n${diagnostics}`);
    assert.equal(fs.readFileSync(target, 'utf8'), 'hi from ccgate');

    const requests = proxy.mock.requests;
    assert.equal(requests.length, 2, `one upstream request per model turn: ${requests.map((r) => r.path).join(', ')}`);
    for (const upstream of requests) {
      assert.equal(upstream.body.stream, true);
      assert.equal(upstream.body.model, 'gpt-cli-middle', '--model sonnet maps to MIDDLE_MODEL');
      assert.ok(upstream.body.tools.some((tool) => tool.function?.name === 'Write'), 'the CLI tools reach the upstream');
    }

    const { messages } = requests[1].body;
    const assistant = messages.findLast((m) => m.role === 'assistant');
    assert.equal(assistant.tool_calls?.[0]?.id, 'call_write_1');
    assert.equal(assistant.tool_calls[0].function.name, 'Write');
    assert.deepEqual(JSON.parse(assistant.tool_calls[0].function.arguments), JSON.parse(writeArguments));
    const toolMessage = messages.find((m) => m.role === 'tool');
    assert.equal(toolMessage.tool_call_id, 'call_write_1');
    assert.match(textOf(toolMessage.content), /hello\.txt/, `the tool result names the file: ${JSON.stringify(toolMessage.content)}`);

    const toolUseLine = lines.find((line) => line.type === 'assistant' && line.message.content.some((block) => block.type === 'tool_use'));
    assert.ok(toolUseLine, 'the CLI saw a tool_use block');
    const toolUse = toolUseLine.message.content.find((block) => block.type === 'tool_use');
    assert.equal(toolUse.id, 'call_write_1');
    assert.deepEqual(toolUse.input, JSON.parse(writeArguments));
  });
});
