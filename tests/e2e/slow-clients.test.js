// Slow, stalled and greedy clients on real sockets: a reader that stops reading a long stream
// (WRITE_TIMEOUT), a head trickled byte by byte (HEADER_TIMEOUT), a body that stalls or only
// crawls (BODY_TIMEOUT), more connections than MAX_CONNECTIONS, and the open-files limit.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { Ccgate, makeTempDir } from './lib/ccgate.js';
import { chat, cliAnswerLines, processDescriptors, rawChat, writeFakeCli } from './lib/gateway-faults.js';
import { MODELS, ProxyFixture, UPSTREAM_KEY, sleep, waitUntil } from './lib/harness.js';
import { endlessUpstream } from './lib/mock-openai.js';
import { GatewayFixture } from './lib/gateway-harness.js';
import { RawConnection, fdCounts, rssKiB } from './lib/probes.js';

function streamingRequest(port, { path = '/v1/messages', body } = {}) {
  const json = JSON.stringify(body ?? { model: 'claude-sonnet-4-6', max_tokens: 100000, stream: true, messages: [{ role: 'user', content: 'talk for ever' }] });
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
    `anthropic-version: 2023-06-01\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`
  );
}

describe('slow clients: WRITE_TIMEOUT', () => {
  test('a client that stops reading a long proxy stream is dropped within WRITE_TIMEOUT and everything it held is released', async (t) => {
    // A small ASan quarantine (when the binary has one), so RSS shows what ccgate holds.
    const proxy = await ProxyFixture.start({ env: { WRITE_TIMEOUT: '2', PING_INTERVAL: '600', ASAN_OPTIONS: 'quarantine_size_mb=4' } });
    t.after(() => proxy.stop());
    const pid = proxy.gate.pid;
    // A first exchange warms the event loop's upstream pool and allocator, then the baseline.
    const warm = await RawConnection.open(proxy.gate.port);
    await warm.write(streamingRequest(proxy.gate.port, { body: { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] } }));
    await waitUntil(() => warm.received.includes('"type":"message"'), 5000, 'a warm-up answer');
    warm.destroy();
    await sleep(300);
    const fdsBefore = fdCounts(pid);
    const rssBefore = rssKiB(pid);

    const upstream = endlessUpstream();
    proxy.mock.enqueue({ handler: upstream.handler });
    const client = await RawConnection.open(proxy.gate.port);
    await client.write(streamingRequest(proxy.gate.port));
    await waitUntil(() => client.received.includes('content_block_delta'), 5000, 'the stream to start');
    client.stopReading();
    // The buffers between the mock and the client fill, then nothing moves: backpressure.
    let stalledSince = Date.now();
    let lastWritten = -1;
    await waitUntil(
      () => {
        if (upstream.state.written !== lastWritten) {
          lastWritten = upstream.state.written;
          stalledSince = Date.now();
        }
        return Date.now() - stalledSince > 500 || client.socket.destroyed;
      },
      10_000,
      'the upstream to be held back by the stalled client',
    );
    const rssStalled = rssKiB(pid);
    const stalledAt = stalledSince;
    await sleep(700);
    const rssLater = rssKiB(pid);

    // Dropped: ccgate no longer holds the client's socket nor the upstream's (a paused client
    // cannot notice yet: it reads nothing).
    const released = await Promise.race([
      waitUntil(() => fdCounts(pid).total <= fdsBefore.total, 12_000, 'never').then(() => Date.now() - stalledAt),
      sleep(12_000).then(() => -1),
    ]).catch(() => -1);
    assert.ok(released >= 0, `the stalled client was never dropped (WRITE_TIMEOUT=2): fds ${JSON.stringify(fdCounts(pid))} vs ${JSON.stringify(fdsBefore)}`);
    assert.ok(released < 8_000, `released ${released} ms after the stream stalled (WRITE_TIMEOUT=2)`);
    await waitUntil(() => upstream.state.closedAt, 3000, 'the upstream socket to be closed, not pooled');

    // Reading again, the client finds its stream cut short.
    client.socket.resume();
    await Promise.race([client.closed, sleep(5_000)]);
    assert.ok(client.socket.destroyed, 'the client connection was ended');
    assert.ok(!client.received.includes('message_stop'), 'a dropped stream does not look complete');

    // Bounded: the mock pushed megabytes, ccgate held only what its pipeline holds.
    assert.ok(upstream.state.written > 2 * 1024 * 1024, `the upstream streamed ${upstream.state.written} bytes`);
    // Until the stall RSS takes in the pipeline's buffers and the sanitizer allocator's slack (a
    // CI run once measured 16,388 KiB); what must not happen is growth while stalled, below.
    assert.ok(rssStalled - rssBefore < 32 * 1024, `RSS grew by ${rssStalled - rssBefore} KiB until the stall`);
    assert.ok(rssLater - rssStalled < 2048, `RSS grew by ${rssLater - rssStalled} KiB while stalled`);
    t.diagnostic(`released ${released} ms after the stall; upstream wrote ${upstream.state.written} B; RSS ${rssBefore} → ${rssStalled} → ${rssLater} KiB; fds ${fdsBefore.total} → ${fdCounts(pid).total}`);
  });
});

describe('slow clients: WRITE_TIMEOUT on the gateway door', () => {
  test('a client that stops reading a gateway stream is dropped within WRITE_TIMEOUT: its Claude Code is ended and its place freed', async (t) => {
    // A stand-in CLI that answers with text for ever, as fast as its stdout is read: only the
    // client's stalled socket holds it back (through ccgate's bounded line queue).
    const dir = makeTempDir('ccgate-e2e-endless-');
    const [start, block, delta] = cliAnswerLines('z'.repeat(1024));
    const endless = writeFakeCli(dir, 'fake-claude-endless', `read -r first\necho '${start}'\necho '${block}'\nwhile :; do echo '${delta}'; done`);
    let gateway;
    t.after(async () => {
      await gateway?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    gateway = await GatewayFixture.start({ env: { CLAUDE_CODE_PATH: endless, WRITE_TIMEOUT: 3, MAX_SESSIONS: 1, GATEWAY_KEEPALIVE: 600, LOG_LEVEL: 'info' } });
    const pid = gateway.gate.pid;
    const before = processDescriptors(pid);

    const client = await rawChat(gateway.gate.port, chat('talk for ever', { stream: true }));
    await waitUntil(() => client.received.includes('chat.completion.chunk'), 20_000, 'the stream to start', () => gateway.log());
    client.stopReading();
    const stalledAt = Date.now();
    await sleep(1_500); // the kernel buffers, then the line queue, then the CLI's pipe fill up
    const rssStalled = rssKiB(pid);
    await sleep(1_000);
    const rssLater = rssKiB(pid);
    assert.ok(gateway.claudeProcesses().length === 1 || gateway.sessionDirs().length === 0, 'the CLI runs while the client is merely slow');

    await waitUntil(
      () => gateway.claudeProcesses().length === 0 && gateway.sessionDirs().length === 0,
      12_000,
      'the stalled stream to be dropped and its Claude Code ended (WRITE_TIMEOUT=3)',
      () => gateway.log(),
    );
    const released = Date.now() - stalledAt;
    assert.ok(released < 10_000, `released ${released} ms after the client stopped reading`);
    await waitUntil(() => {
      const now = processDescriptors(pid);
      return now.pipe <= before.pipe && now.pidfd <= before.pidfd;
    }, 5_000, 'pipes and pidfds back to the baseline', () => JSON.stringify(processDescriptors(pid)));
    assert.ok(rssLater - rssStalled < 4096, `RSS grew by ${rssLater - rssStalled} KiB while stalled: the CLI's output was buffered, not held back`);

    // Reading again, the client finds its stream cut short; the only place is free again.
    client.socket.resume();
    await Promise.race([client.closed, sleep(5_000)]);
    assert.ok(client.socket.destroyed, 'the client connection was ended');
    assert.ok(!client.received.includes('[DONE]'), 'a dropped stream does not look complete');
    const next = await rawChat(gateway.gate.port, chat('the freed place', { stream: true }));
    await waitUntil(() => next.status !== 0, 20_000, 'an answer to the next conversation');
    next.destroy();
    assert.equal(next.status, 200, `MAX_SESSIONS=1: the stalled conversation's place is free (${next.received.slice(0, 200)})`);
    t.diagnostic(`released ${released} ms after the stall; RSS while stalled ${rssStalled} → ${rssLater} KiB`);
  });
});

describe('slow clients: HEADER_TIMEOUT and BODY_TIMEOUT', () => {
  test('a head trickled byte by byte (slowloris) is cut off at HEADER_TIMEOUT without an answer', async (t) => {
    const proxy = await ProxyFixture.start({ env: { HEADER_TIMEOUT: '1' } });
    t.after(() => proxy.stop());
    const fdsBefore = fdCounts(proxy.gate.pid);
    const slow = await RawConnection.open(proxy.gate.port);
    const started = Date.now();
    await slow.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${proxy.gate.port}\r\nX-Slow: `);
    const trickle = (async () => {
      while (!slow.socket.destroyed) {
        await sleep(100);
        await slow.write('a').catch(() => {});
      }
    })();
    const closedAfter = await Promise.race([slow.closed.then(() => Date.now() - started), sleep(5_000).then(() => -1)]);
    slow.destroy();
    await trickle;
    assert.ok(closedAfter >= 0, 'a head that never ends kept its connection open (HEADER_TIMEOUT=1)');
    assert.ok(closedAfter >= 900 && closedAfter < 3_000, `cut off after ${closedAfter} ms`);
    assert.equal(slow.received, '', 'no answer to a half-sent head');
    await waitUntil(() => fdCounts(proxy.gate.pid).total <= fdsBefore.total, 3000, 'descriptors back to the baseline');
    t.diagnostic(`slowloris cut off after ${closedAfter} ms`);
  });

  for (const [path, shape] of [
    ['/v1/messages', 'anthropic'],
    ['/v1/chat/completions', 'openai'],
  ]) {
    test(`a body that stalls gets 408 in the ${shape} error shape at BODY_TIMEOUT (${path})`, async (t) => {
      const proxy = await ProxyFixture.start({ env: { BODY_TIMEOUT: '1' } });
      t.after(() => proxy.stop());
      const conn = await RawConnection.open(proxy.gate.port);
      const started = Date.now();
      await conn.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${proxy.gate.port}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":`,
      );
      const closedAfter = await Promise.race([conn.closed.then(() => Date.now() - started), sleep(5_000).then(() => -1)]);
      conn.destroy();
      assert.equal(conn.status, 408, `status ${conn.status} after ${closedAfter} ms: ${conn.received.slice(0, 300)}`);
      assert.ok(closedAfter >= 900 && closedAfter < 3_000, `closed after ${closedAfter} ms`);
      const body = JSON.parse(conn.received.slice(conn.received.indexOf('\r\n\r\n') + 4));
      if (shape === 'anthropic') assert.equal(body.type, 'error', JSON.stringify(body));
      else assert.ok('param' in body.error && 'code' in body.error, JSON.stringify(body));
      assert.match(body.error.message, /timed out/);
      assert.equal(proxy.mock.requests.length, 0);
    });
  }

  test('a 32 MiB body on a slow but steady link outlasts HEADER_TIMEOUT and BODY_TIMEOUT', async (t) => {
    const proxy = await ProxyFixture.start({ env: { HEADER_TIMEOUT: '1', BODY_TIMEOUT: '1' } });
    t.after(() => proxy.stop());
    const text = 'y'.repeat(32 * 1024 * 1024 - 1024);
    const json = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: text }] }));
    const conn = await RawConnection.open(proxy.gate.port);
    const started = Date.now();
    await conn.write(
      `POST /v1/messages/count_tokens HTTP/1.1\r\nHost: 127.0.0.1:${proxy.gate.port}\r\ncontent-type: application/json\r\n` +
        `anthropic-version: 2023-06-01\r\nconnection: close\r\ncontent-length: ${json.length}\r\n\r\n`,
    );
    const piece = 2 * 1024 * 1024;
    for (let at = 0; at < json.length; at += piece) {
      await sleep(200); // 16 pieces: more than 3 s in all, never 1 s without bytes
      await conn.write(json.subarray(at, at + piece).toString('latin1'));
    }
    const sentIn = Date.now() - started;
    await Promise.race([conn.closed, sleep(20_000)]);
    conn.destroy();
    assert.ok(sentIn > 2_000, `the body took ${sentIn} ms`);
    assert.equal(conn.status, 200, conn.received.slice(0, 300));
    assert.match(conn.received, /"input_tokens":\d+/);
  });
});

describe('slow clients: KEEPALIVE_TIMEOUT', () => {
  test('an idle keep-alive connection is closed at KEEPALIVE_TIMEOUT, not before, and a busy one is kept', async (t) => {
    const proxy = await ProxyFixture.start({ env: { KEEPALIVE_TIMEOUT: '1.5' } });
    t.after(() => proxy.stop());
    const conn = await RawConnection.open(proxy.gate.port);
    const health = `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${proxy.gate.port}\r\n\r\n`;
    // Three requests 1 s apart: each resets the idle clock, so the connection lives past 1.5 s.
    for (let i = 0; i < 3; i++) {
      await conn.write(health);
      await waitUntil(() => conn.received.split('HTTP/1.1 200').length - 1 === i + 1, 3000, `answer ${i + 1}`);
      if (i < 2) await sleep(1_000);
    }
    const idleFrom = Date.now();
    const closedAfter = await Promise.race([conn.closed.then(() => Date.now() - idleFrom), sleep(5_000).then(() => -1)]);
    conn.destroy();
    assert.ok(closedAfter >= 0, 'an idle keep-alive connection stayed open (KEEPALIVE_TIMEOUT=1.5)');
    assert.ok(closedAfter >= 1_300 && closedAfter < 3_500, `closed ${closedAfter} ms after its last answer`);
    t.diagnostic(`idle connection closed ${closedAfter} ms after its last answer`);
  });
});

describe('slow clients: connections and descriptors', () => {
  test('past MAX_CONNECTIONS a new connection is closed at once, and ccgate serves again when one leaves', async (t) => {
    const proxy = await ProxyFixture.start({ env: { MAX_CONNECTIONS: '4', THREADS: '2' } });
    t.after(() => proxy.stop());
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await RawConnection.open(proxy.gate.port));
    await sleep(200);
    const cpuBefore = cpuTicks(proxy.gate.pid);
    for (let i = 0; i < 8; i++) {
      const extra = await RawConnection.open(proxy.gate.port);
      const closed = await Promise.race([extra.closed.then(() => true), sleep(1_000).then(() => false)]);
      extra.destroy();
      assert.ok(closed, `connection ${i + 5} was kept open past MAX_CONNECTIONS=4`);
      assert.equal(extra.received, '');
    }
    await sleep(1_000);
    const cpu = cpuTicks(proxy.gate.pid) - cpuBefore;
    assert.ok(cpu < 50, `ccgate used ${cpu} CPU ticks refusing 8 connections and idling for a second`);
    assert.match(proxy.gate.stderr, /refused \d+ connection\(s\) so far: MAX_CONNECTIONS=4/);

    held[0].destroy();
    await sleep(200);
    const response = await proxy.fetch('/health');
    assert.equal(response.status, 200);
    for (const conn of held) conn.destroy();
  });

  test('the soft open-files limit is raised to the hard limit and MAX_CONNECTIONS is derived from it', async (t) => {
    const hard = Number(/Max open files\s+\d+\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1]);
    if (!(hard > 1024)) return t.skip(`the hard limit here is ${hard}`);
    const gate = await Ccgate.start({
      env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: UPSTREAM_KEY, ...MODELS, MAX_SESSIONS: '10' },
      launcher: ['prlimit', '--nofile=512:'],
    });
    t.after(() => gate.stop());
    const limits = /Max open files\s+(\d+)\s+(\d+)/.exec(fs.readFileSync(`/proc/${gate.pid}/limits`, 'utf8'));
    assert.equal(Number(limits[1]), hard, `soft limit ${limits[1]}, hard ${limits[2]}`);
    assert.match(gate.stderr, new RegExp(`open files limit ${hard} \\(was 512, hard limit ${hard}\\)`));
    // (fd limit − 64 for ccgate − 10 sessions × 12) / 2, as the README's formula says
    const derived = Math.floor((hard - 64 - 10 * 12) / 2);
    assert.match(gate.stderr, new RegExp(`up to ${derived} client connections \\(MAX_CONNECTIONS, derived\\), 40 for Claude Code's own`));
  });
});

// User plus system CPU time of process `pid`, in clock ticks.
function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
