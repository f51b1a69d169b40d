/**
 * @fileoverview A JSON-RPC message reader for the server's input stream that survives garbage.
 *
 * vscode-jsonrpc's stock reader trusts the byte stream: bytes that are not a header are glued to
 * the next real header, which then has no `Content-Length`, and the reader stays out of step for
 * the messages after it. An editor plugin that prints to the wrong pipe, a half-written message
 * from a crashed client, or a test that sends noise must not cost the session. This reader
 * resynchronizes: it looks for the next `Content-Length:` header, drops what came before it,
 * checks that the body looks like a JSON object, and reports each thing it dropped through
 * `onGarbage` (the server logs it) instead of failing the connection.
 */

import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-languageserver/node';

/** Larger bodies are refused: no LSP message is near this, and a bogus length must not stall us. */
const maxBodyBytes = 256 * 1024 * 1024;
/** A header block longer than this without its terminating blank line is garbage. */
const maxHeaderBytes = 8 * 1024;
const headerName = Buffer.from('content-length:', 'latin1');
const headerEnd = Buffer.from('\r\n\r\n', 'latin1');

export class ResilientMessageReader extends AbstractMessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** Body length announced by the last header, or -1 while looking for a header. */
  private bodyLength = -1;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly onGarbage: (what: string) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string) =>
      this.onData(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    const onError = (error: unknown) => this.fireError(error);
    const onClose = () => this.fireClose();
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('end', onClose);
    this.input.on('close', onClose);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('error', onError);
        this.input.off('end', onClose);
        this.input.off('close', onClose);
      },
    };
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.bodyLength < 0 && !this.readHeader()) return;
      // A body must be a JSON object: if its first bytes say otherwise, the header was noise,
      // and the bytes after it are searched for the next header instead of being swallowed.
      if (!this.startsLikeObject()) {
        // Drop up to the next header, or the claimed body as far as it has arrived; report once.
        const next = indexOfIgnoreCase(this.buffer, headerName);
        const cut = next >= 0 ? next : Math.min(this.buffer.length, this.bodyLength);
        this.onGarbage(`a Content-Length header followed by ${cut} bytes that are not a JSON object; dropped`);
        this.buffer = this.buffer.subarray(cut);
        this.bodyLength = -1;
        continue;
      }
      if (this.buffer.length < this.bodyLength) return;
      const body = this.buffer.subarray(0, this.bodyLength);
      this.buffer = this.buffer.subarray(this.bodyLength);
      this.bodyLength = -1;
      this.deliver(body);
    }
  }

  /** Consume one good header block; false when more bytes are needed. */
  private readHeader(): boolean {
    for (;;) {
      const result = this.tryHeader();
      if (result !== 'bad') return result;
    }
  }

  private tryHeader(): boolean | 'bad' {
    const at = indexOfIgnoreCase(this.buffer, headerName);
    if (at < 0) {
      // Keep a tail that could be the start of a header split across chunks; the rest is noise.
      const keep = headerName.length - 1;
      if (this.buffer.length > keep) {
        this.reportGarbage(this.buffer.subarray(0, this.buffer.length - keep));
        this.buffer = this.buffer.subarray(this.buffer.length - keep);
      }
      return false;
    }
    if (at > 0) {
      // Keep header lines that may precede Content-Length in the same block (Content-Type);
      // drop everything before them.
      const blankLine = this.buffer.lastIndexOf(headerEnd, at);
      let cut = blankLine >= 0 ? blankLine + headerEnd.length : 0;
      if (!/^(?:[A-Za-z-]+:[^\r\n]*\r\n)*$/.test(this.buffer.subarray(cut, at).toString('latin1'))) cut = at;
      if (cut > 0) {
        this.reportGarbage(this.buffer.subarray(0, cut));
        this.buffer = this.buffer.subarray(cut);
      }
    }
    const end = this.buffer.indexOf(headerEnd);
    if (end < 0) {
      if (this.buffer.length > maxHeaderBytes) this.skipPastHeaderName('a header block with no end');
      return false;
    }
    const headers = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    let length = NaN;
    for (const line of headers) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'content-length') {
        const value = line.slice(colon + 1).trim();
        length = /^\d+$/.test(value) ? Number(value) : NaN;
      }
    }
    if (!Number.isSafeInteger(length) || length > maxBodyBytes) {
      // The whole header block goes, so its remains are not reported a second time.
      this.onGarbage(`a bad Content-Length header (${JSON.stringify(headers.join(' | ').slice(0, 80))}); dropped`);
      this.buffer = this.buffer.subarray(end + headerEnd.length);
      this.bodyLength = -1;
      return 'bad';
    }
    this.buffer = this.buffer.subarray(end + headerEnd.length);
    this.bodyLength = length;
    return true;
  }

  private startsLikeObject(): boolean {
    for (const byte of this.buffer) {
      if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
      return byte === 0x7b; // '{'
    }
    return true;
  }

  /** Drop through the `content-length:` we matched, so the search resumes after it. */
  private skipPastHeaderName(why: string): void {
    const at = indexOfIgnoreCase(this.buffer, headerName);
    const cut = at < 0 ? this.buffer.length : at + headerName.length;
    this.onGarbage(`${why}; dropped ${cut} bytes`);
    this.buffer = this.buffer.subarray(cut);
    this.bodyLength = -1;
  }

  private deliver(body: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (error) {
      this.onGarbage(`a message body that is not valid JSON (${(error as Error).message}); ignored`);
      return;
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      this.onGarbage('a message that is not a JSON-RPC object; ignored');
      return;
    }
    this.callback?.(message as Message);
  }

  private reportGarbage(bytes: Buffer): void {
    const text = bytes.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    this.onGarbage(
      `${bytes.length} bytes that are not a message header (${JSON.stringify(text.slice(0, 60))}); dropped`,
    );
  }
}

function indexOfIgnoreCase(haystack: Buffer, lowerNeedle: Buffer): number {
  const first = lowerNeedle[0]!;
  outer: for (let i = 0; i + lowerNeedle.length <= haystack.length; i++) {
    if ((haystack[i]! | 0x20) !== first) continue;
    for (let j = 1; j < lowerNeedle.length; j++) {
      const b = haystack[i + j]!;
      const n = lowerNeedle[j]!;
      // Letters compare case-insensitively; '-' and ':' exactly.
      if (n >= 0x61 && n <= 0x7a ? (b | 0x20) !== n : b !== n) continue outer;
    }
    return i;
  }
  return -1;
}
