// Helpers for the gateway request tests: a live session's MCP endpoint as its Claude Code CLI was
// given it, and JSON nesting of a given depth.

import fs from 'node:fs';

// The `--mcp-config` value of a running Claude Code process: inline JSON (`--mcp-config=<json>`)
// or a file (`--mcp-config <path>` or `--mcp-config=<path>`).
function mcpConfigOf(pid) {
  const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  for (let i = 0; i < args.length; i++) {
    let value;
    if (args[i].startsWith('--mcp-config=')) value = args[i].slice('--mcp-config='.length);
    else if (args[i] === '--mcp-config') value = args[i + 1];
    if (value === undefined) continue;
    const text = value.trimStart().startsWith('{') ? value : fs.readFileSync(value, 'utf8');
    return JSON.parse(text);
  }
  return undefined;
}

// { url, secretHeader, secret, sessionId } of the MCP server `name` of every live session of
// `fixture` (a GatewayFixture), read from their CLIs.
export function liveMcpServers(fixture, name = 'gateway') {
  const servers = [];
  for (const process of fixture.claudeProcesses()) {
    let config;
    try {
      config = mcpConfigOf(process.pid);
    } catch {
      continue; // ended while we looked, or not the CLI itself
    }
    const server = config?.mcpServers?.[name];
    if (!server) continue;
    const [secretHeader, secret] = Object.entries(server.headers ?? {})[0] ?? [];
    servers.push({ url: server.url, secretHeader, secret, sessionId: server.url.split('/').at(-1), pid: process.pid });
  }
  return servers;
}

// { url, secretHeader, secret, sessionId } of the MCP server `name` ("gateway" or "auth") of a
// live session of `fixture` (a GatewayFixture), read from its CLI.
export function liveMcpServer(fixture, name = 'gateway') {
  for (const process of fixture.claudeProcesses()) {
    let config;
    try {
      config = mcpConfigOf(process.pid);
    } catch {
      continue; // ended while we looked, or not the CLI itself
    }
    const server = config?.mcpServers?.[name];
    if (!server) continue;
    const [secretHeader, secret] = Object.entries(server.headers ?? {})[0] ?? [];
    return { url: server.url, secretHeader, secret, sessionId: server.url.split('/').at(-1) };
  }
  throw new Error(`no live Claude Code session with an MCP server "${name}"`);
}

// Nesting depth of a JSON value: 0 for a scalar, 1 + the deepest member for arrays and objects.
export function jsonDepth(value) {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const member of Object.values(value)) deepest = Math.max(deepest, jsonDepth(member));
  return 1 + deepest;
}

// An object schema nesting `levels` objects through properties.child (JSON depth 2 * levels + 1).
export function nestedSchema(levels) {
  let schema = { type: 'string', description: 'the innermost value' };
  for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { child: schema }, required: ['child'] };
  return schema;
}

// A value for nestedSchema(levels): `levels` objects deep.
export function nestedValue(levels, leaf = 'bottom') {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { child: value };
  return value;
}
