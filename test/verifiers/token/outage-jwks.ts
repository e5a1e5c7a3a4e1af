import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local JWKS endpoint for the outage tests: serves `keys`, answers 500 while `failing`, counts its fetches.
 * Start it in `beforeAll`, `close()` it in `afterAll`.
 */
export class OutageJwks {
  keys: object[] = [];
  failing = false;
  fetches = 0;
  url = '';
  private readonly server = http.createServer((_req, res) => {
    this.fetches++;
    if (this.failing) {
      res.statusCode = 500;
      res.end('down');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}
