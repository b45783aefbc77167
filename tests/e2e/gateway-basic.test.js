// The gateway door without tools: the real `openai` SDK asks ccgate for chat completions, ccgate
// runs the real Claude Code CLI, and the CLI's model is the scripted mock Anthropic model.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import {
  CLI_MODEL,
  GatewayFixture,
  MODEL,
  claudeMissing,
  readChatSSE,
  rejectsWith,
  user,
  withLog,
} from './lib/gateway-harness.js';
import { DEFAULT_USAGE, lastUserText } from './lib/mock-anthropic.js';

// What the mock reports per model call, as OpenAI usage: prompt = input + cache read + creation.
const PROMPT_TOKENS = DEFAULT_USAGE.input_tokens + DEFAULT_USAGE.cache_read_input_tokens + DEFAULT_USAGE.cache_creation_input_tokens;
const COMPLETION_TOKENS = DEFAULT_USAGE.output_tokens;

const contentOf = (chunks) => chunks.flatMap((c) => c.choices.map((choice) => choice.delta?.content ?? '')).join('');
const reasoningOf = (chunks) => chunks.flatMap((c) => c.choices.map((choice) => choice.delta?.reasoning_content ?? '')).join('');
const finishReasonsOf = (chunks) => chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason).filter(Boolean));

describe('gateway: plain chat', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;

  before(async () => {
    gateway = await GatewayFixture.start();
  });
  after(() => gateway?.stop());

  // The model request that answered the user text `marker`.
  const requestFor = (marker) => {
    const request = gateway.model.messageRequests.find((r) => lastUserText(r.body).includes(marker));
    assert.ok(request, `the model received a request with "${marker}"`);
    return request;
  };

  test(
    'a non-streaming completion carries the model text, finish_reason stop and the usage the CLI reported',
    withLog(log, async () => {
      const completion = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('say hi (not streamed)')] });
      const request = requestFor('say hi (not streamed)');
      assert.equal(request.body.model, CLI_MODEL, 'the request model reaches the CLI as --model');
      assert.equal(request.body.stream, true);

      assert.equal(completion.object, 'chat.completion');
      assert.match(completion.id, /\S/);
      assert.equal(completion.choices.length, 1);
      const [choice] = completion.choices;
      assert.equal(choice.index, 0);
      assert.equal(choice.message.role, 'assistant');
      assert.equal(choice.message.content, request.answer.text);
      assert.match(choice.message.content, /^Hello from mock: .*say hi \(not streamed\)/s);
      assert.equal(choice.finish_reason, 'stop');
      assert.ok(!choice.message.tool_calls?.length, 'no tool calls');
      assert.deepEqual(
        { prompt: completion.usage?.prompt_tokens, completion: completion.usage?.completion_tokens, total: completion.usage?.total_tokens },
        { prompt: PROMPT_TOKENS, completion: COMPLETION_TOKENS, total: PROMPT_TOKENS + COMPLETION_TOKENS },
        `usage: ${JSON.stringify(completion.usage)}`,
      );
    }),
  );

  test(
    'a streamed completion arrives in pieces, ends with finish_reason stop, and include_usage adds one usage chunk',
    withLog(log, async () => {
      const stream = await gateway.client().chat.completions.create({
        model: MODEL,
        messages: [user('say hi (streamed)')],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      const request = requestFor('say hi (streamed)');

      assert.ok(chunks.length > 0);
      for (const chunk of chunks) assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'every chunk has the same id');
      assert.equal(chunks[0].choices[0]?.delta?.role, 'assistant', 'the first chunk names the role');
      assert.equal(contentOf(chunks), request.answer.text);
      const contentChunks = chunks.filter((c) => c.choices.some((choice) => choice.delta?.content));
      assert.ok(contentChunks.length >= 2, `the text is streamed as it comes, not in one piece (${contentChunks.length} content chunk(s))`);
      assert.deepEqual(finishReasonsOf(chunks), ['stop']);

      const usageChunks = chunks.filter((c) => c.usage);
      assert.equal(usageChunks.length, 1, 'one usage chunk');
      assert.equal(usageChunks[0], chunks.at(-1), 'the usage chunk comes last');
      assert.deepEqual(usageChunks[0].choices, []);
      assert.equal(usageChunks[0].usage.prompt_tokens, PROMPT_TOKENS);
      assert.equal(usageChunks[0].usage.completion_tokens, COMPLETION_TOKENS);
      assert.equal(usageChunks[0].usage.total_tokens, PROMPT_TOKENS + COMPLETION_TOKENS);
    }),
  );

  test(
    'the raw stream is text/event-stream ending with data: [DONE], without usage unless asked',
    withLog(log, async () => {
      const response = await gateway.postChat({ model: MODEL, messages: [user('say hi (raw stream)')], stream: true });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const { data } = await readChatSSE(response);
      assert.equal(data.at(-1), '[DONE]', `last data line: ${JSON.stringify(data.at(-1))}`);
      assert.equal(data.filter((d) => d === '[DONE]').length, 1);
      const chunks = data.slice(0, -1);
      for (const chunk of chunks) assert.equal(chunk?.object, 'chat.completion.chunk', JSON.stringify(chunk));
      assert.equal(contentOf(chunks), requestFor('say hi (raw stream)').answer.text);
      assert.ok(!chunks.some((c) => c.usage), 'no usage chunk without stream_options.include_usage');
    }),
  );

  test(
    'thinking comes back as reasoning_content, never inside content',
    withLog(log, async () => {
      const thinking = 'Weighing the options carefully.';
      gateway.model.enqueue({ thinking, text: 'Decided: blue.' }, { thinking, text: 'Decided: green.' });
      const stream = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('pick a colour (streamed)')], stream: true });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.equal(reasoningOf(chunks), thinking);
      assert.equal(contentOf(chunks), 'Decided: blue.');

      const completion = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('pick a colour (not streamed)')] });
      const { message } = completion.choices[0];
      assert.equal(message.content, 'Decided: green.');
      assert.equal(message.reasoning_content, thinking);
    }),
  );

  test(
    'a system message reaches the model as its system prompt',
    withLog(log, async () => {
      const persona = 'You are the pirate assistant number 7731.';
      await gateway.client().chat.completions.create({ model: MODEL, messages: [{ role: 'system', content: persona }, user('ahoy (system prompt)')] });
      const request = requestFor('ahoy (system prompt)');
      const system = (request.body.system ?? []).map((block) => block.text).join('\n');
      assert.ok(system.includes(persona), 'the system prompt carries the client system message');
      assert.ok(!lastUserText(request.body).includes('7731'), 'it is not pasted into the user turn');
    }),
  );

  test(
    'a follow-up of the same conversation continues the same Claude Code session',
    withLog(log, async () => {
      const client = gateway.client();
      const opening = user('remember the number 4242 (follow-up)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [opening] });
      const firstText = first.choices[0].message.content;
      const second = await client.chat.completions.create({
        model: MODEL,
        messages: [opening, { role: 'assistant', content: firstText }, user('which number was it? (follow-up)')],
      });
      const firstRequest = requestFor('remember the number 4242');
      const secondRequest = requestFor('which number was it?');
      assert.equal(second.choices[0].message.content, secondRequest.answer.text);
      const history = JSON.stringify(secondRequest.body.messages);
      assert.ok(history.includes('remember the number 4242') && history.includes(firstText), 'the model sees the earlier turn');
      assert.equal(
        secondRequest.headers['x-claude-code-session-id'],
        firstRequest.headers['x-claude-code-session-id'],
        'the same CLI session answered (kept warm), not a new process replaying the transcript',
      );
    }),
  );

  test(
    'an error from the model API becomes an OpenAI error, not assistant content',
    withLog(log, async () => {
      gateway.model.rule = (record) =>
        lastUserText(record.body).includes('trigger a model error')
          ? { status: 400, errorType: 'invalid_request_error', message: 'mock says the prompt is bad' }
          : undefined;
      try {
        const error = await rejectsWith(
          gateway.client().chat.completions.create({ model: MODEL, messages: [user('trigger a model error')] }),
          OpenAI.APIError,
        );
        assert.ok(error.status >= 400 && error.status <= 599, `an HTTP error status (got ${error.status})`);
        assert.match(error.message, /mock says the prompt is bad/);
      } finally {
        gateway.model.rule = undefined;
      }
    }),
  );

  test(
    'GET /v1/models lists the Claude Code model aliases in the OpenAI list shape',
    withLog(log, async () => {
      const page = await gateway.client().models.list();
      const ids = page.data.map((model) => model.id);
      for (const alias of ['sonnet', 'opus', 'haiku']) assert.ok(ids.includes(alias), `${alias} in ${JSON.stringify(ids)}`);
      for (const model of page.data) {
        assert.equal(model.object, 'model');
        assert.equal(typeof model.id, 'string');
        assert.equal(typeof model.owned_by, 'string');
      }
    }),
  );
});

describe('gateway: client auth and bad requests', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;

  before(async () => {
    gateway = await GatewayFixture.start();
  });
  after(() => gateway?.stop());

  const assertOpenAIErrorShape = (body) => {
    assert.equal(typeof body?.error?.message, 'string', JSON.stringify(body));
    assert.ok(body.error.message.length > 0);
    assert.equal(typeof body.error.type, 'string');
    assert.ok('param' in body.error && 'code' in body.error, JSON.stringify(body));
  };

  test(
    'with GATEWAY_API_KEY set, a wrong or missing key gets 401 in the OpenAI error shape and starts nothing',
    withLog(log, async () => {
      const error = await rejectsWith(
        gateway.client({ apiKey: 'sk-wrong' }).chat.completions.create({ model: MODEL, messages: [user('hi')] }),
        OpenAI.AuthenticationError,
      );
      assert.equal(error.status, 401);
      assert.equal(typeof error.error?.message, 'string');

      const missing = await gateway.postChat({ model: MODEL, messages: [user('hi')] }, { apiKey: null });
      assert.equal(missing.status, 401);
      assertOpenAIErrorShape(await missing.json());

      const models = await gateway.fetch('/v1/models', { headers: { authorization: 'Bearer sk-wrong' } });
      assert.equal(models.status, 401);
      assertOpenAIErrorShape(await models.json());

      assert.equal(gateway.model.messageRequests.length, 0, 'no CLI ran for a rejected client');
      assert.deepEqual(gateway.claudeProcesses(), []);
    }),
  );

  test(
    'a request without messages gets 400 BadRequestError; so do a missing messages field and malformed JSON',
    withLog(log, async () => {
      const error = await rejectsWith(gateway.client().chat.completions.create({ model: MODEL, messages: [] }), OpenAI.BadRequestError);
      assert.equal(error.status, 400);

      const noMessages = await gateway.postChat({ model: MODEL });
      assert.equal(noMessages.status, 400);
      assertOpenAIErrorShape(await noMessages.json());

      const malformed = await gateway.postChat('{"model": "sonnet", "messages": [');
      assert.equal(malformed.status, 400);
      assertOpenAIErrorShape(await malformed.json());

      assert.equal(gateway.model.messageRequests.length, 0, 'no CLI ran for a bad request');
    }),
  );
});
