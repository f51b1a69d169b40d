/**
 * @fileoverview The server's input reader: messages split across chunks at every byte, noise
 * before, between and inside frames, bogus headers; every real message must come out once, in
 * order, and every piece of noise must be reported rather than swallowing what follows it.
 */

import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ResilientMessageReader } from '../../analyzer/dist/lsp/resilient-reader.js';

function frame(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
}

/** Feed `chunks` through a reader; return what it delivered and what it reported. */
async function read(chunks: Buffer[]): Promise<{ messages: unknown[]; garbage: string[] }> {
  const input = new PassThrough();
  const messages: unknown[] = [];
  const garbage: string[] = [];
  const reader = new ResilientMessageReader(input, (what) => garbage.push(what));
  reader.listen((m) => messages.push(m));
  for (const c of chunks) input.write(c);
  input.end();
  await new Promise((r) => setImmediate(r));
  return { messages, garbage };
}

const a = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { text: 'ünïcödé ✓' } };
const b = { jsonrpc: '2.0', method: 'initialized', params: {} };
const c = { jsonrpc: '2.0', id: 2, method: 'shutdown' };

describe('ResilientMessageReader', () => {
  test('delivers messages split at every possible byte', async () => {
    const all = Buffer.concat([frame(a), frame(b)]);
    for (let cut = 1; cut < all.length; cut++) {
      const { messages, garbage } = await read([all.subarray(0, cut), all.subarray(cut)]);
      expect(messages, `cut at ${cut}`).toEqual([a, b]);
      expect(garbage).toEqual([]);
    }
  });

  test('accepts a Content-Type header before or after Content-Length', async () => {
    const body = Buffer.from(JSON.stringify(b));
    const before = Buffer.from(
      `Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const after = Buffer.from(`content-length: ${body.length}\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n`);
    const { messages, garbage } = await read([before, body, after, body]);
    expect(messages).toEqual([b, b]);
    expect(garbage).toEqual([]);
  });

  test('skips noise before, between and after messages, and reports it', async () => {
    const { messages, garbage } = await read([
      Buffer.from('hello from a stray print\n'),
      frame(a),
      Buffer.from([0, 255, 13, 10, 13, 10, 7]),
      frame(b),
      Buffer.from('Content-Length: 5\r\n\r\nnope!'),
      frame(c),
      Buffer.from('trailing noise'),
    ]);
    expect(messages).toEqual([a, b, c]);
    expect(garbage.length).toBeGreaterThanOrEqual(3);
  });

  test('a bogus or huge Content-Length does not swallow the messages after it', async () => {
    const { messages, garbage } = await read([
      Buffer.from('Content-Length: 999999999\r\n\r\n'),
      frame(a),
      Buffer.from('Content-Length: x\r\n\r\n'),
      frame(b),
    ]);
    expect(messages).toEqual([a, b]);
    expect(garbage.length).toBe(2);
  });

  test('a frame whose body is not JSON, or not an object, is dropped alone', async () => {
    const bad = (text: string) =>
      Buffer.concat([Buffer.from(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n`), Buffer.from(text)]);
    const { messages, garbage } = await read([
      bad('{"unterminated": '),
      frame(a),
      bad('[1,2,3]'),
      frame(b),
      bad('{}'),
      frame(c),
    ]);
    // `{}` is an object: the connection, not the reader, rejects it as invalid JSON-RPC.
    expect(messages).toEqual([a, b, {}, c]);
    expect(garbage.length, garbage.join('\n')).toBe(2);
  });
});
