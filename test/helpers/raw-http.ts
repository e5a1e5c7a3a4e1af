/**
 * A raw HTTP/1.1 client for security tests: writes the request line exactly as given (fragments, absolute form,
 * dot segments, odd encodings), which supertest, fetch and Fastify's inject() would normalise away.
 */
import net from 'node:net';

/** A parsed response: status, lower-case headers and body text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one request over a fresh connection (`Connection: close`) and reads the whole response. */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to ${method} ${target}`)), 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.split('\r\n\r\n', 1)[0] ?? '';
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      const parsed: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number.isFinite(status) ? status : 0, headers: parsed, body: text.slice(head.length + 4) });
    });
    const lines = [`${method} ${target} HTTP/1.1`, 'Host: api.example', 'Connection: close'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    // With a Transfer-Encoding the body is sent as given (already chunked, trailer fields and all): no Content-Length.
    const framed = Object.keys(headers).some((name) => name.toLowerCase() === 'transfer-encoding');
    if ((body || method === 'POST') && !framed) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    // write, not end: a half-closed socket makes Node's server abort a request still being answered.
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

/** `text` as one chunk of a chunked body, then the last chunk followed by these trailer fields. */
export function chunkedWithTrailers(text: string, trailers: readonly (readonly [string, string])[]): string {
  const size = Buffer.byteLength(text).toString(16);
  return `${size}\r\n${text}\r\n0\r\n${trailers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}
