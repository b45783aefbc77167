// Both doors in one flow (CLAUDE_CODE_BASE_URL=self): the openai SDK → ccgate's gateway door →
// the real Claude Code CLI → ccgate's own proxy door (/v1/messages) → the mock OpenAI upstream,
// and back. The agent runs on an OpenAI-compatible model, with the client's own tools.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { GatewayFixture, MODEL, assistantTurn, claudeMissing, toolMessage, user, weatherTool, withLog } from './lib/gateway-harness.js';
import { chunk, textStream, toolCallChunks, usage, usageChunk } from './lib/mock-openai.js';

const textOf = (content) =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.filter((p) => p.type === 'text').map((p) => p.text).join('') : '';

describe('gateway on its own proxy door (CLAUDE_CODE_BASE_URL=self)', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;

  before(async () => {
    gateway = await GatewayFixture.start({ self: true });
  });
  after(() => gateway?.stop());

  // The upstream (OpenAI-shaped) requests whose messages mention `marker`.
  const upstreamRequestsFor = (marker) => gateway.upstream.requests.filter((r) => JSON.stringify(r.body?.messages ?? []).includes(marker));

  test(
    'a plain chat goes through the CLI and the proxy door to the OpenAI upstream and back',
    withLog(log, async () => {
      gateway.upstream.defaultRule = () => ({ stream: textStream(['Hello from ', 'the OpenAI ', 'upstream.'], { usage: usage(120, 6) }) });
      const completion = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('hello through both doors')] });
      assert.equal(completion.choices[0].message.content, 'Hello from the OpenAI upstream.');
      assert.equal(completion.choices[0].finish_reason, 'stop');

      const requests = upstreamRequestsFor('hello through both doors');
      assert.equal(requests.length, 1, 'one upstream call for the turn');
      assert.equal(requests[0].path, '/v1/chat/completions');
      assert.equal(requests[0].body.model, 'gpt-middle', 'the CLI model (sonnet) maps to MIDDLE_MODEL');
      assert.equal(requests[0].body.stream, true);
    }),
  );

  test(
    'a client tool round trip where the OpenAI model calls mcp__gateway__get_weather',
    withLog(log, async () => {
      gateway.upstream.defaultRule = (record) => {
        const messages = record.body?.messages ?? [];
        const result = messages.findLast((m) => m.role === 'tool');
        if (result) return { stream: textStream(['The tool said: ', textOf(result.content)], { usage: usage(200, 8) }) };
        return {
          stream: [
            chunk({ role: 'assistant', content: '' }),
            ...toolCallChunks(0, 'call_self_weather', 'mcp__gateway__get_weather', ['{"city":', '"Berl', 'in"}']),
            chunk({}, { finishReason: 'tool_calls' }),
            usageChunk(usage(150, 12)),
          ],
        };
      };
      const client = gateway.client();
      const ask = user('what is the weather in Berlin? (self tool)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
      const [opening] = upstreamRequestsFor('(self tool)');
      assert.ok(
        opening.body.tools?.some((tool) => tool.function?.name === 'mcp__gateway__get_weather'),
        `the upstream model is offered the client tool: ${JSON.stringify(opening.body.tools?.map((tool) => tool.function?.name))}`,
      );

      const [choice] = first.choices;
      assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice));
      assert.equal(choice.message.tool_calls?.length, 1);
      const [call] = choice.message.tool_calls;
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Berlin' });
      assert.match(call.id, /\S/);

      const second = await client.chat.completions.create({
        model: MODEL,
        messages: [ask, assistantTurn(choice.message), toolMessage(call.id, 'Mild in Berlin')],
        tools: [weatherTool],
      });
      assert.equal(second.choices[0].message.content, 'The tool said: Mild in Berlin');
      assert.equal(second.choices[0].finish_reason, 'stop');

      const followUp = upstreamRequestsFor('Mild in Berlin').at(-1);
      assert.ok(followUp, 'the tool result reached the upstream');
      const toolResult = followUp.body.messages.findLast((m) => m.role === 'tool');
      assert.equal(toolResult.tool_call_id, 'call_self_weather', 'answering the upstream tool call it made');
      assert.match(textOf(toolResult.content), /Mild in Berlin/);
    }),
  );
});
