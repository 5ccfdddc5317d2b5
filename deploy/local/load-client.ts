// The scan benchmark's load generator: HTTP/1.1 over kept-alive TCP connections, requests
// written as bytes and answers read by their Content-Length. Bun's fetch spends about 2 ms of
// CPU per request, which on a 2-core machine took most of a core away from what is measured at
// 600 scans/s; this spends a fraction of that. Open model: a request never waits for another's
// answer (a new connection is opened when all are busy, up to `maxConnections`).
import type { Socket } from "bun";

interface Answer {
  status: number;
  body: string;
}

interface Connection {
  socket: Socket<undefined> | null;
  buffer: Buffer;
  pending: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | null;
  closing: boolean;
}

const HEAD_END = Buffer.from("\r\n\r\n");

export function loadClient(base: string, maxConnections = 512) {
  const url = new URL(base);
  const host = url.hostname;
  const port = Number(url.port || 80);
  const idle: Connection[] = [];
  const queue: (() => void)[] = [];
  let open = 0;

  /** A complete answer at the start of the connection's buffer, taken off it. */
  function take(conn: Connection): Answer | null {
    const end = conn.buffer.indexOf(HEAD_END);
    if (end < 0) return null;
    const head = conn.buffer.subarray(0, end).toString("latin1");
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) throw new Error(`an answer without Content-Length: ${head.split("\r\n")[0]}`);
    const total = end + 4 + Number(length[1]);
    if (conn.buffer.length < total) return null;
    const body = conn.buffer.subarray(end + 4, total).toString("utf8");
    conn.buffer = conn.buffer.subarray(total);
    if (/\r\nconnection:\s*close/i.test(head)) conn.closing = true;
    return { status: Number(head.slice(9, 12)), body };
  }

  function release(conn: Connection): void {
    if (conn.closing || !conn.socket) {
      conn.socket?.end();
      return;
    }
    const next = queue.shift();
    idle.push(conn);
    next?.();
  }

  async function connect(): Promise<Connection> {
    const conn: Connection = { socket: null, buffer: Buffer.alloc(0), pending: null, closing: false };
    open++;
    conn.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data(_socket, chunk) {
          conn.buffer = conn.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([conn.buffer, chunk]);
          try {
            const answer = take(conn);
            if (!answer || !conn.pending) return;
            const { resolve } = conn.pending;
            conn.pending = null;
            resolve(answer);
            release(conn);
          } catch (error) {
            conn.pending?.reject(error as Error);
            conn.pending = null;
            conn.socket?.end();
          }
        },
        close() {
          open--;
          conn.socket = null;
          const i = idle.indexOf(conn);
          if (i >= 0) idle.splice(i, 1);
          conn.pending?.reject(new Error("connection closed before the answer"));
          conn.pending = null;
          queue.shift()?.();
        },
        error(_socket, error) {
          conn.pending?.reject(error);
          conn.pending = null;
        },
      },
    });
    return conn;
  }

  async function connection(): Promise<Connection> {
    for (;;) {
      const conn = idle.pop();
      if (conn?.socket) return conn;
      if (open < maxConnections) return connect();
      await new Promise<void>((resolve) => queue.push(resolve));
    }
  }

  return {
    /** POSTs a JSON body; resolves with the status and the body's text. */
    async post(path: string, headers: Record<string, string>, json: string): Promise<Answer> {
      const conn = await connection();
      const body = Buffer.from(json);
      const head =
        `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
        `content-length: ${body.length}\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join("")}\r\n`;
      return new Promise<Answer>((resolve, reject) => {
        conn.pending = { resolve, reject };
        conn.socket?.write(Buffer.concat([Buffer.from(head), body]));
      });
    },
    close(): void {
      for (const conn of idle.splice(0)) conn.socket?.end();
    },
  };
}
