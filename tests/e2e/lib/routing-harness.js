// Several mock providers behind one ccgate that reads a YAML configuration file: the fixture of
// the routing, fallback and key-pool tests. Each provider is a MockOpenAI; the file names them
// `a`, `b`, `c`, … and the routes name their models.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Anthropic from '@anthropic-ai/sdk';

import { Ccgate } from './ccgate.js';
import { waitUntil } from './common.js';
import { MockOpenAI } from './mock-openai.js';

export class RoutingFixture {
  mocks = {}; // name → MockOpenAI
  gate;
  dir;
  configPath;

  // providers: names of the mock providers to start. config(mocks): the YAML text, given the
  // started mocks (their baseURL). env: extra ccgate environment.
  static async start({ providers = ['a', 'b'], config, env = {} }) {
    const fixture = new RoutingFixture();
    fixture.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccgate-e2e-routing-'));
    fixture.configPath = path.join(fixture.dir, 'ccgate.yaml');
    try {
      for (const name of providers) fixture.mocks[name] = await MockOpenAI.start();
      fs.writeFileSync(fixture.configPath, config(fixture.mocks));
      fixture.gate = await Ccgate.start({ env: { LOG_LEVEL: 'info', ...env }, args: ['--config', fixture.configPath] });
    } catch (error) {
      await fixture.stop();
      throw error;
    }
    return fixture;
  }

  get url() {
    return this.gate.url;
  }

  client(options = {}) {
    return new Anthropic({ baseURL: this.url, apiKey: 'sk-client-test', maxRetries: 0, timeout: 20_000, ...options });
  }

  // POST /v1/messages with fetch: the status, the headers and the parsed body (or text).
  async post(body, { headers = {} } = {}) {
    const response = await fetch(`${this.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client-test', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, upstream: response.headers.get('x-ccgate-upstream'), headers: response.headers, text, json };
  }

  // Every mock's recorded requests, as { name: [model, …] }.
  modelsAsked() {
    return Object.fromEntries(Object.entries(this.mocks).map(([name, mock]) => [name, mock.requests.map((r) => r.body?.model)]));
  }

  reset() {
    for (const mock of Object.values(this.mocks)) mock.reset();
  }

  // Rewrites the file and sends SIGHUP; resolves once ccgate logged the outcome (`reloaded` or
  // the error), returning that log line.
  async reload(text) {
    fs.writeFileSync(this.configPath, text);
    const before = this.gate.stderr.length;
    process.kill(this.gate.pid, 'SIGHUP');
    let line;
    await waitUntil(
      () => {
        const added = this.gate.stderr.slice(before);
        line = added.split('\n').find((l) => /configuration (reloaded|not reloaded)/.test(l));
        return line;
      },
      5000,
      'the reload to be logged',
      () => this.gate.stderr.slice(before),
    );
    return line;
  }

  async stop() {
    await this.gate?.stop();
    await Promise.allSettled(Object.values(this.mocks).map((mock) => mock.close()));
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// A minimal Messages request body.
export function ask(model, extra = {}) {
  return { model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }], ...extra };
}
