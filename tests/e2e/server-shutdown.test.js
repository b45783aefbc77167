// Shutting down with work in flight: the first SIGINT/SIGTERM lets open exchanges finish within
// SHUTDOWN_GRACE, a second one ends the grace at once. Either way ccgate exits by itself, under
// the sanitizers without a report, leaving no Claude Code process, no session dir and no
// upstream connection behind.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { GatewayFixture, MODEL, claudeMissing, user, weatherTool, withLog } from './lib/gateway-harness.js';
import { ProxyFixture, sleep, waitUntil } from './lib/harness.js';
import { textStream } from './lib/mock-openai.js';
import { RawConnection } from './lib/probes.js';

const GRACE = '60'; // far longer than any test waits: only the second signal can end it early

// Sends `signal` twice, `gapMs` apart (the second only if ccgate still runs); resolves to
// { code, signal, afterSecondMs }.
async function signalTwice(gate, signal, gapMs = 300) {
  process.kill(gate.pid, signal);
  await sleep(gapMs);
  const second = Date.now();
  try {
    process.kill(gate.pid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error; // the first signal was enough
  }
  const exited = await Promise.race([gate.exited, sleep(15_000).then(() => null)]);
  assert.ok(exited, `ccgate still runs 15 s after the second ${signal}`);
  return { ...exited, afterSecondMs: Date.now() - second };
}

function assertExitedCleanly(gate, { code, signal, afterSecondMs }) {
  assert.doesNotMatch(gate.stderr, /AddressSanitizer|LeakSanitizer|runtime error:/, 'a sanitizer report');
  assert.equal(signal, null, 'ccgate exited by itself');
  assert.equal(code, 0);
  assert.ok(afterSecondMs < 5_000, `exited ${afterSecondMs} ms after the second signal (SHUTDOWN_GRACE=${GRACE})`);
}

describe('shutdown: a second signal', { skip: claudeMissing }, () => {
  test('during a gateway stream: ccgate exits at once and leaves nothing behind', async (t) => {
    const gateway = await GatewayFixture.start({ env: { SHUTDOWN_GRACE: GRACE } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        gateway.model.enqueue({ text: 'An answer that never finishes.', hangAfterEvents: 4 });
        const stream = await gateway.client().chat.completions.create({ model: MODEL, messages: [user('stream (shutdown)')], stream: true });
        const reading = (async () => {
          try {
            for await (const piece of stream) void piece;
          } catch {
            // cut short by the shutdown
          }
        })();
        await waitUntil(() => gateway.model.messageRequests.length > 0, 30_000, 'the CLI to reach the model');
        await sleep(500);
        const exit = await signalTwice(gateway.gate, 'SIGINT');
        assertExitedCleanly(gateway.gate, exit);
        await reading;
        await gateway.assertCleanWithin(2_000, 'after ccgate exited');
        t.diagnostic(`exited ${exit.afterSecondMs} ms after the second SIGINT`);
      },
    )(t);
  });

  test('with an MCP tool call in flight: ccgate exits at once and leaves nothing behind', async (t) => {
    const gateway = await GatewayFixture.start({ env: { SHUTDOWN_GRACE: GRACE } });
    t.after(() => gateway.stop());
    await withLog(
      () => gateway,
      async () => {
        const first = await gateway.client().chat.completions.create({
          model: MODEL,
          messages: [user('Please call get_weather with {"city":"Oslo"} (double signal)')],
          tools: [weatherTool],
        });
        assert.equal(first.choices[0].finish_reason, 'tool_calls');
        // The CLI's tools/call is parked in ccgate, its MCP response open, waiting for the result.
        await waitUntil(() => /tools\/call/.test(gateway.gate.stderr), 10_000, 'the MCP tools/call');
        await sleep(300);
        const exit = await signalTwice(gateway.gate, 'SIGTERM');
        assertExitedCleanly(gateway.gate, exit);
        await gateway.assertCleanWithin(2_000, 'after ccgate exited');
        t.diagnostic(`exited ${exit.afterSecondMs} ms after the second SIGTERM`);
      },
    )(t);
  });
});

describe('shutdown: a second signal on the proxy door', () => {
  test('during a long proxy stream: ccgate exits at once and closes the upstream connection', async (t) => {
    const proxy = await ProxyFixture.start({ env: { SHUTDOWN_GRACE: GRACE } });
    t.after(() => proxy.stop());
    proxy.mock.enqueue({ stream: textStream(Array.from({ length: 600 }, (_, i) => `piece ${i} `)), delayMs: 100 });
    const client = await RawConnection.open(proxy.gate.port);
    const json = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'long' }] });
    await client.write(
      `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${proxy.gate.port}\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\n\r\n${json}`,
    );
    await waitUntil(() => client.received.includes('piece 3'), 10_000, 'the stream to flow');
    const [record] = await proxy.mock.waitForRequests(1);
    const exit = await signalTwice(proxy.gate, 'SIGTERM');
    assertExitedCleanly(proxy.gate, exit);
    await Promise.race([record.closed, sleep(2_000)]);
    assert.ok(record.socketClosed, 'the upstream connection was closed');
    await Promise.race([client.closed, sleep(2_000)]);
    assert.ok(!client.received.includes('message_stop'), 'the cut stream does not look complete');
    client.destroy();
  });
});
