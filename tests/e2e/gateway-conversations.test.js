// Explicit conversations (issue 13): a client names its conversation with `x-ccgate-conversation`
// and ccgate finds it by that name; the operators' admin API lists and deletes conversations
// (/v1/conversations, the monitoring access rule); webhooks hear of each conversation's start and
// end. The real `openai` SDK and the real Claude Code CLI against the mock model, and a small
// webhook receiver (lib/webhook-receiver.js).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import { makeTempDir } from './lib/ccgate.js';
import {
  GatewayFixture,
  MODEL,
  assistantTurn,
  claudeMissing,
  readChatSSE,
  GATEWAY_KEY,
  rejectsWith,
  toolMessage,
  user,
  waitUntil,
  weatherTool,
  withLog,
  withTimeout,
} from './lib/gateway-harness.js';
import { DEFAULT_USAGE, lastUserText } from './lib/mock-anthropic.js';
import { RawConnection } from './lib/probes.js';
import { WebhookReceiver } from './lib/webhook-receiver.js';

const HEADER = 'x-ccgate-conversation';
const METRICS_KEY = 'sk-metrics-test-key';
const HOOK_TOKEN = 'hook-token-1234';
const PROMPT_TOKENS = DEFAULT_USAGE.input_tokens + DEFAULT_USAGE.cache_read_input_tokens + DEFAULT_USAGE.cache_creation_input_tokens;
const COMPLETION_TOKENS = DEFAULT_USAGE.output_tokens;
const CONVERSATION_ID = /^conv_[A-Za-z0-9]{24}$/;

const named = (name) => ({ headers: { [HEADER]: name } });

// A configuration file (CCGATE_CONFIG) in a temp dir of its own.
function configFile(yaml) {
  const dir = makeTempDir('ccgate-e2e-conversations-');
  const file = path.join(dir, 'ccgate.yaml');
  fs.writeFileSync(file, yaml);
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function metric(gateway, name, headers = {}) {
  const text = await (await gateway.fetch('/metrics', { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const assertOpenAIError = (body, code) => {
  assert.equal(typeof body?.error?.message, 'string', JSON.stringify(body));
  assert.equal(typeof body.error.type, 'string');
  assert.ok('param' in body.error, JSON.stringify(body));
  if (code !== undefined) assert.equal(body.error.code, code, JSON.stringify(body));
};

describe('gateway: explicit conversations, the admin API and the conversation webhooks', { skip: claudeMissing }, () => {
  let gateway;
  let hooks;
  let config;
  const log = () => gateway;

  before(async () => {
    hooks = await WebhookReceiver.start();
    config = configFile(
      [
        'gateway:',
        '  conversation_webhooks:',
        `    start: ${hooks.url}/conversations/start`,
        `    end: ${hooks.url}/conversations/end`,
        '    headers:',
        '      authorization: Bearer ${HOOK_TOKEN}',
        '    timeout: 5',
        '',
      ].join('\n'),
    );
    gateway = await GatewayFixture.start({ env: { CCGATE_CONFIG: config.file, HOOK_TOKEN, METRICS_KEY } });
  });
  after(async () => {
    await gateway?.stop();
    await hooks?.close();
    config?.remove();
  });

  const requestFor = (marker) => {
    const request = gateway.model.messageRequests.find((r) => lastUserText(r.body).includes(marker));
    assert.ok(request, `the model received a request with "${marker}"`);
    return request;
  };
  // The admin API, with the METRICS_KEY it requires here.
  const admin = (pathAndQuery, init = {}) =>
    gateway.fetch(pathAndQuery, { ...init, headers: { authorization: `Bearer ${METRICS_KEY}`, ...init.headers } });
  const adminClient = () => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: METRICS_KEY, maxRetries: 0 });
  const conversations = async () => {
    const response = await admin('/v1/conversations');
    assert.equal(response.status, 200);
    return response.json();
  };
  const conversationNamed = async (name) => (await conversations()).data.find((c) => c.name === name);

  test(
    'a named conversation goes on across three requests in one Claude Code process, and the admin list shows it with its turns and tokens',
    withLog(log, async () => {
      const client = gateway.client();
      const opening = user('plan a trip to Lyon (named turn 1)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [opening] }, named('trip-1'));
      const second_history = [opening, assistantTurn(first.choices[0].message), user('add a day in Annecy (named turn 2)')];
      const second = await client.chat.completions.create({ model: MODEL, messages: second_history }, named('trip-1'));
      const third_history = [...second_history, assistantTurn(second.choices[0].message), user('and a museum (named turn 3)')];
      const third = await client.chat.completions.create({ model: MODEL, messages: third_history }, named('trip-1'));
      assert.match(third.choices[0].message.content, /and a museum \(named turn 3\)/);

      const sessions = ['named turn 1', 'named turn 2', 'named turn 3'].map((marker) => requestFor(marker).headers['x-claude-code-session-id']);
      assert.ok(sessions[0], 'the CLI names its session');
      assert.deepEqual(sessions, [sessions[0], sessions[0], sessions[0]], 'one Claude Code session served all three turns');
      const history = JSON.stringify(requestFor('named turn 3').body.messages);
      assert.ok(history.includes('plan a trip to Lyon') && history.includes('add a day in Annecy'), 'the model sees the earlier turns');

      const listed = (await conversations()).data.filter((c) => c.name === 'trip-1');
      assert.equal(listed.length, 1, 'one conversation under the name');
      const [conversation] = listed;
      assert.match(conversation.id, CONVERSATION_ID);
      assert.equal(conversation.object, 'conversation');
      assert.equal(conversation.model, MODEL);
      assert.equal(conversation.state, 'idle');
      assert.equal(conversation.pending_tool_calls, 0);
      assert.equal(conversation.turns, 3);
      assert.deepEqual(conversation.usage, {
        prompt_tokens: 3 * PROMPT_TOKENS,
        completion_tokens: 3 * COMPLETION_TOKENS,
        total_tokens: 3 * (PROMPT_TOKENS + COMPLETION_TOKENS),
      });
      assert.ok(Number.isInteger(conversation.created_at) && Math.abs(conversation.created_at - Date.now() / 1000) < 120);
      assert.ok(conversation.age_seconds >= 0 && conversation.idle_seconds >= 0);

      const retrieved = await adminClient().conversations.retrieve(conversation.id);
      assert.equal(retrieved.id, conversation.id, 'the OpenAI SDK retrieves it by id');
      assert.equal(retrieved.name, 'trip-1');

      const started = await hooks.waitFor((e) => e.body?.event === 'conversation.started' && e.body.name === 'trip-1');
      assert.equal(hooks.of('conversation.started').filter((e) => e.body.name === 'trip-1').length, 1, 'one start event');
      assert.equal(started.path, '/conversations/start');
      assert.equal(started.headers.authorization, `Bearer ${HOOK_TOKEN}`, 'the configured header, from ${HOOK_TOKEN}');
      assert.match(started.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(started.body.id, conversation.id);
      assert.equal(started.body.model, MODEL);
      assert.equal(started.body.request_id, first._request_id, 'the id of the request that started it');
      assert.equal(started.body.created_at, conversation.created_at);
    }),
  );

  test(
    'another history under the same name gets 409 conversation_conflict (not to be retried), and the conversation goes on',
    withLog(log, async () => {
      const client = gateway.client();
      const opening = user('count sheep (conflict 1)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [opening] }, named('sheep'));

      const error = await rejectsWith(
        client.chat.completions.create({ model: MODEL, messages: [user('something else entirely (conflict 2)')] }, named('sheep')),
        OpenAI.ConflictError,
      );
      assert.equal(error.status, 409);
      assert.equal(error.code, 'conversation_conflict');
      assert.match(error.message, /sheep/);

      // The raw answer: the SDKs are told not to retry it (they retry a 409 by default).
      const raw = await gateway.postChat(
        { model: MODEL, messages: [opening, { role: 'assistant', content: 'an answer it never gave' }, user('go on (conflict 3)')] },
        { headers: { [HEADER]: 'sheep' } },
      );
      assert.equal(raw.status, 409);
      assert.equal(raw.headers.get('x-should-retry'), 'false');
      assertOpenAIError(await raw.json(), 'conversation_conflict');
      assert.ok(!gateway.model.messageRequests.some((r) => /conflict [23]/.test(lastUserText(r.body))), 'neither reached the model');

      const next = await client.chat.completions.create(
        { model: MODEL, messages: [opening, assistantTurn(first.choices[0].message), user('how many now? (conflict 4)')] },
        named('sheep'),
      );
      assert.match(next.choices[0].message.content, /conflict 4/);
      assert.equal(requestFor('conflict 4').headers['x-claude-code-session-id'], requestFor('conflict 1').headers['x-claude-code-session-id']);
      assert.equal((await conversationNamed('sheep')).turns, 2);
    }),
  );

  test(
    'a request under a name whose conversation is running a turn gets 409 conversation_busy',
    withLog(log, async () => {
      const client = gateway.client();
      gateway.model.enqueue({ delayMs: 3000 });
      const slow = client.chat.completions.create({ model: MODEL, messages: [user('take your time (busy 1)')] }, named('busy-one'));
      await waitUntil(async () => (await conversationNamed('busy-one'))?.state === 'running', 15_000, 'the first turn runs');
      const error = await rejectsWith(
        client.chat.completions.create({ model: MODEL, messages: [user('me too (busy 2)')] }, named('busy-one')),
        OpenAI.ConflictError,
      );
      assert.equal(error.code, 'conversation_busy');
      const done = await slow;
      assert.match(done.choices[0].message.content, /busy 1/, 'the running turn is not disturbed');
    }),
  );

  test(
    'an empty, too long, or malformed x-ccgate-conversation gets 400 naming the header and starts nothing',
    withLog(log, async () => {
      const before = gateway.model.messageRequests.length;
      for (const bad of ['', 'a'.repeat(129), 'has space', 'slash/name', 'quote"d', 'percent%41', 'comma,list']) {
        const response = await gateway.postChat({ model: MODEL, messages: [user(`bad name ${JSON.stringify(bad)}`)] }, { headers: { [HEADER]: bad } });
        assert.equal(response.status, 400, `name ${JSON.stringify(bad)}`);
        const body = await response.json();
        assertOpenAIError(body, 'invalid_conversation_name');
        assert.match(body.error.message, /x-ccgate-conversation/);
      }
      // Given twice (fetch would join the two into one value): which one was meant is unknown.
      const body = JSON.stringify({ model: MODEL, messages: [user('two names (bad name)')] });
      const raw = await RawConnection.open(gateway.gate.port);
      await raw.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${GATEWAY_KEY}\r\n` +
          `Content-Type: application/json\r\n${HEADER}: one\r\n${HEADER}: two\r\nContent-Length: ${body.length}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
      await withTimeout(raw.closed, 10_000, 'the answer to a request with two names');
      assert.equal(raw.status, 400, raw.received);
      assert.match(raw.received, /given 2 times/);

      const longest = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('a long name is fine (name 128)')] }, named(`a-Z_0.9:${'x'.repeat(120)}`));
      assert.match(longest.choices[0].message.content, /name 128/, '128 bytes of letters, digits and -_.: are a name');
      assert.equal(gateway.model.messageRequests.length, before + 1, 'only the valid name reached the model');
    }),
  );

  test(
    'tool results resume the parked call of a named conversation; answered under another name they get 409',
    withLog(log, async () => {
      const client = gateway.client();
      const ask = user('Please call get_weather with {"city":"Oslo"} (named tools)');
      const first = await client.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] }, named('weather'));
      const [call] = first.choices[0].message.tool_calls;
      const listed = await conversationNamed('weather');
      assert.equal(listed.state, 'waiting_for_tools');
      assert.equal(listed.pending_tool_calls, 1);

      const answer = { model: MODEL, messages: [ask, assistantTurn(first.choices[0].message), toolMessage(call.id, 'Snow, -3 °C')], tools: [weatherTool] };
      const wrong = await rejectsWith(client.chat.completions.create(answer, named('not-weather')), OpenAI.ConflictError);
      assert.equal(wrong.code, 'conversation_conflict');
      const second = await client.chat.completions.create(answer, named('weather'));
      assert.match(second.choices[0].message.content, /Tool said: Snow, -3 °C/);
      assert.equal((await conversationNamed('weather')).pending_tool_calls, 0);
    }),
  );

  test(
    'the admin list holds no message text; DELETE ends the process and its dir, the end webhook says "deleted", and the name then starts afresh',
    withLog(log, async () => {
      const client = gateway.client();
      const secret = 'the launch code is 0000-SECRET-7781';
      const opening = user(`remember: ${secret} (delete 1)`);
      const system = { role: 'system', content: 'SYSTEM-PROMPT-MARKER-5512' };
      const first = await client.chat.completions.create({ model: MODEL, messages: [system, opening] }, named('doomed'));
      const listText = await (await admin('/v1/conversations')).text();
      for (const hidden of ['0000-SECRET-7781', 'SYSTEM-PROMPT-MARKER-5512', 'Hello from mock', 'remember']) assert.ok(!listText.includes(hidden), `the list does not hold "${hidden}"`);
      const doomed = await conversationNamed('doomed');
      const processesBefore = gateway.claudeProcesses().length;
      const dirsBefore = gateway.sessionDirs().length;

      const deleted = await adminClient().conversations.delete(doomed.id);
      assert.deepEqual({ ...deleted }, { id: doomed.id, object: 'conversation.deleted', deleted: true });
      await waitUntil(() => gateway.claudeProcesses().length === processesBefore - 1 && gateway.sessionDirs().length === dirsBefore - 1, 10_000, 'its process and dir are gone');
      assert.equal(await conversationNamed('doomed'), undefined);
      const again = await admin(`/v1/conversations/${doomed.id}`, { method: 'DELETE' });
      assert.equal(again.status, 404);
      assertOpenAIError(await again.json(), 'conversation_not_found');

      const ended = await hooks.waitFor((e) => e.body?.event === 'conversation.ended' && e.body.id === doomed.id);
      assert.equal(ended.path, '/conversations/end');
      assert.equal(ended.body.cause, 'deleted');
      assert.equal(ended.body.name, 'doomed');
      assert.equal(ended.body.turns, 1);
      assert.deepEqual(ended.body.usage, { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS });
      assert.ok(ended.body.duration_ms >= 0 && ended.body.ended >= ended.body.created_at);
      for (const event of hooks.events) for (const hidden of ['0000-SECRET-7781', 'SYSTEM-PROMPT-MARKER-5512', 'Hello from mock']) assert.ok(!event.text.includes(hidden), `no webhook holds "${hidden}"`);

      // The name goes on in a new process, the history given to it as a transcript.
      const next = await client.chat.completions.create(
        { model: MODEL, messages: [system, opening, assistantTurn(first.choices[0].message), user('what was the code? (delete 2)')] },
        named('doomed'),
      );
      assert.match(next.choices[0].message.content, /delete 2/);
      assert.notEqual(requestFor('delete 2').headers['x-claude-code-session-id'], requestFor('delete 1').headers['x-claude-code-session-id']);
      const reborn = await conversationNamed('doomed');
      assert.notEqual(reborn.id, doomed.id);
      assert.equal(reborn.turns, 1);
    }),
  );

  test(
    'DELETE of a conversation streaming a reply ends the stream with an error event and [DONE]; unknown ids get 404 and other methods 405',
    withLog(log, async () => {
      gateway.model.enqueue({ hang: true });
      const response = await gateway.postChat({ model: MODEL, stream: true, messages: [user('never answered (delete while streaming)')] }, { headers: { [HEADER]: 'streaming' } });
      assert.equal(response.status, 200);
      const reading = readChatSSE(response);
      const streaming = await waitUntil(async () => {
        const found = await conversationNamed('streaming');
        return found?.state === 'running' && found;
      }, 15_000, 'the turn runs');
      const deleted = await admin(`/v1/conversations/${streaming.id}`, { method: 'DELETE' });
      assert.equal(deleted.status, 200);
      const { data } = await reading;
      assert.equal(data.at(-1), '[DONE]', JSON.stringify(data));
      const error = data.find((d) => d?.error);
      assert.ok(error, `an error event: ${JSON.stringify(data)}`);
      assert.match(error.error.message, /deleted/);
      const live = (await conversations()).data.length;
      await waitUntil(() => gateway.sessionDirs().length === live, 10_000, 'one dir per live conversation, none for the deleted one', () => `${gateway.sessionDirs().length} dirs, ${live} conversations`);

      for (const id of ['conv_AAAAAAAAAAAAAAAAAAAAAAAA', 'conv_', 'not-an-id', 'conv_%2e%2e']) {
        const missing = await admin(`/v1/conversations/${id}`, { method: 'DELETE' });
        assert.equal(missing.status, 404, id);
        assertOpenAIError(await missing.json(), 'conversation_not_found');
      }
      const post = await admin('/v1/conversations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(post.status, 405);
      assert.match(post.headers.get('allow') ?? '', /GET/);
      assertOpenAIError(await post.json());
    }),
  );

  test(
    'the admin API follows METRICS_KEY: without it or with a wrong key, 401 in the OpenAI shape; the gateway key does not open it',
    withLog(log, async () => {
      for (const headers of [{}, { authorization: 'Bearer sk-wrong' }, { authorization: `Bearer ${GATEWAY_KEY}` }]) {
        for (const [method, where] of [['GET', '/v1/conversations'], ['DELETE', '/v1/conversations/conv_AAAAAAAAAAAAAAAAAAAAAAAA']]) {
          const response = await gateway.fetch(where, { method, headers });
          assert.equal(response.status, 401, `${method} ${where} with ${JSON.stringify(headers)}`);
          assertOpenAIError(await response.json(), 'invalid_api_key');
        }
      }
      const listed = await admin('/v1/conversations');
      assert.equal(listed.status, 200);
      const body = await listed.json();
      assert.equal(body.object, 'list');
      assert.ok(Array.isArray(body.data));
    }),
  );
});

describe('gateway: conversation names are scoped per client key', { skip: claudeMissing }, () => {
  let gateway;
  const log = () => gateway;
  before(async () => {
    gateway = await GatewayFixture.start({ apiKey: null }); // any key is a client of its own on loopback
  });
  after(() => gateway?.stop());

  test(
    'the same name under two client keys is two conversations',
    withLog(log, async () => {
      const alice = gateway.client({ apiKey: 'sk-alice' });
      const bob = gateway.client({ apiKey: 'sk-bob' });
      await alice.chat.completions.create({ model: MODEL, messages: [user('alice opens (scoped)')] }, named('shared'));
      await bob.chat.completions.create({ model: MODEL, messages: [user('bob opens (scoped)')] }, named('shared'));
      const list = await (await gateway.fetch('/v1/conversations')).json();
      assert.equal(list.data.filter((c) => c.name === 'shared').length, 2, JSON.stringify(list));
    }),
  );

  test(
    'an unnamed conversation and its tool calls belong to the key that started them: another key repeating the history starts its own, and cannot answer the calls',
    withLog(log, async () => {
      const alice = gateway.client({ apiKey: 'sk-alice' });
      const bob = gateway.client({ apiKey: 'sk-bob' });
      const ask = user('Please call get_weather with {"city":"Bergen"} (scoped tools)');
      const first = await alice.chat.completions.create({ model: MODEL, messages: [ask], tools: [weatherTool] });
      const [call] = first.choices[0].message.tool_calls;
      const answer = { model: MODEL, messages: [ask, assistantTurn(first.choices[0].message), toolMessage(call.id, 'Rain, 9 °C')], tools: [weatherTool] };
      const stolen = await rejectsWith(bob.chat.completions.create(answer), OpenAI.NotFoundError);
      assert.equal(stolen.code, 'tool_call_not_found');
      const second = await alice.chat.completions.create(answer);
      assert.match(second.choices[0].message.content, /Tool said: Rain, 9 °C/);

      const opening = user('hello (scoped unnamed)');
      const reply = await alice.chat.completions.create({ model: MODEL, messages: [opening] });
      const followUp = { model: MODEL, messages: [opening, assistantTurn(reply.choices[0].message), user('and again (scoped unnamed)')] };
      const sessionsBefore = (await (await gateway.fetch('/v1/conversations')).json()).data.length;
      await bob.chat.completions.create(followUp);
      const sessionsAfter = (await (await gateway.fetch('/v1/conversations')).json()).data.length;
      assert.equal(sessionsAfter, sessionsBefore + 1, "bob's request started a conversation of its own instead of continuing alice's");
    }),
  );
});

describe('gateway: a dead conversation webhook', { skip: claudeMissing }, () => {
  let gateway;
  let hooks;
  let config;
  const log = () => gateway;
  const TIMEOUT_S = 6;

  before(async () => {
    hooks = await WebhookReceiver.start();
    hooks.hang = true; // reads each POST, never answers
    config = configFile(
      ['gateway:', '  conversation_webhooks:', `    start: ${hooks.url}/start`, `    end: ${hooks.url}/end`, `    timeout: ${TIMEOUT_S}`, '    queue: 3', ''].join('\n'),
    );
    gateway = await GatewayFixture.start({ env: { CCGATE_CONFIG: config.file } });
  });
  after(async () => {
    await gateway?.stop();
    await hooks?.close();
    config?.remove();
  });

  test(
    'delays no request: replies arrive while its POST hangs; past the queue, events are dropped, counted and logged once per burst',
    withLog(log, async () => {
      const client = gateway.client();
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, i) => client.chat.completions.create({ model: MODEL, messages: [user(`hello ${i} (dead webhook)`)] }, named(`dead-${i}`))),
      );
      assert.equal(replies.length, 6);
      assert.ok(hooks.events.length >= 1, 'the first start event reached the webhook');
      assert.ok(hooks.events.every((e) => !e.answered), 'and is still unanswered while every reply has arrived');
      const dropped = await metric(gateway, 'ccgate_gateway_conversation_webhooks_dropped_total');
      assert.ok(dropped >= 1, `events past the queue of 3 are dropped (dropped_total ${dropped})`);
      // Once per burst, not per event: a burst opens with a warning and, when an event finds room
      // again, closes with the count it dropped. How many bursts six concurrent starts make depends
      // on when the delivery takes the first event off the queue.
      const lines = gateway.log(1e6).split('\n');
      const opened = lines.filter((line) => line.includes('further events are dropped until the queue has room')).length;
      const closed = lines.filter((line) => line.includes('were dropped while the queue was full')).length;
      assert.ok(opened >= 1 && opened <= dropped, `bursts warned: ${opened}, dropped: ${dropped}`);
      assert.ok(opened - closed === 0 || opened - closed === 1, `each burst warned once (opened ${opened}, closed ${closed})`);
    }),
  );

  test(
    'holds up shutdown by at most its timeout: what is still queued then is dropped',
    withLog(log, async () => {
      const started = Date.now();
      const exit = await gateway.gate.stop(60_000);
      const took = Date.now() - started;
      assert.equal(exit.code, 0, JSON.stringify(exit));
      // Queued: three start events, each of which would wait its whole timeout on this webhook.
      assert.ok(took < (TIMEOUT_S + 6) * 1000, `ccgate stopped in ${took} ms`);
      assert.match(gateway.log(1e6), /event\(s\) undelivered at shutdown were dropped/);
      await gateway.assertCleanWithin(5_000, 'after shutdown');
    }),
  );
});

