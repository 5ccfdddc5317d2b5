import type { Socket, TCPSocketListener } from "bun";

interface Side {
  peer?: Socket<Side>;
  /** Bytes not yet accepted by this socket (written on drain, in order). */
  pending: Uint8Array[];
  /** Chunks from this socket held back by the latency, in arrival order. */
  delayed: { due: number; chunk: Uint8Array }[];
  /** This socket closed with chunks still held back: the peer ends after the last. */
  closing?: boolean;
}

function send(to: Socket<Side>, chunk: Uint8Array): void {
  if (to.data.pending.length > 0) {
    to.data.pending.push(new Uint8Array(chunk));
    return;
  }
  const written = to.write(chunk);
  if (written < chunk.length) to.data.pending.push(new Uint8Array(chunk.subarray(Math.max(written, 0))));
}

/** Passes the delayed chunks on as each falls due, never one before an earlier one. */
function release(from: Socket<Side>): void {
  const next = from.data.delayed[0];
  if (!next) return;
  const wait = next.due - performance.now();
  if (wait > 0) {
    setTimeout(() => release(from), wait);
    return;
  }
  from.data.delayed.shift();
  if (from.data.peer) send(from.data.peer, next.chunk);
  if (from.data.delayed.length > 0) release(from);
  else if (from.data.closing) from.data.peer?.end();
}

/** The other side ends once what this side sent has all been passed on. */
function endPeer(socket: Socket<Side>): void {
  if (socket.data.delayed.length > 0) socket.data.closing = true;
  else socket.data.peer?.end();
}

function flush(socket: Socket<Side>): void {
  while (socket.data.pending.length > 0) {
    const chunk = socket.data.pending[0] as Uint8Array;
    const written = socket.write(chunk);
    if (written < chunk.length) {
      socket.data.pending[0] = chunk.subarray(Math.max(written, 0));
      return;
    }
    socket.data.pending.shift();
  }
}

/**
 * A TCP relay between a server under test and a real Redis or MongoDB, so a test
 * can take the dependency away (stop listening, cut every connection) and bring it
 * back on the same address, without touching the shared stack.
 */
export class TcpProxy {
  private listener: TCPSocketListener<Side> | undefined;
  private readonly sockets = new Set<Socket<Side>>();
  /** Added to every answer of the dependency (a slow network or an overloaded server). */
  latencyMs = 0;

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  start(): void {
    const { target, sockets } = this;
    const proxy = this;
    const upstreamHandlers = {
      data(upstream: Socket<Side>, chunk: Uint8Array) {
        const peer = upstream.data.peer;
        if (!peer) return;
        // Delayed chunks wait in one queue, in order: when the latency drops, a quicker
        // chunk must not overtake a delayed one (that would scramble the stream).
        const queue = upstream.data.delayed;
        if (proxy.latencyMs <= 0 && queue.length === 0) send(peer, chunk);
        else {
          queue.push({ due: performance.now() + proxy.latencyMs, chunk: new Uint8Array(chunk) });
          if (queue.length === 1) release(upstream);
        }
      },
      drain: flush,
      close: endPeer,
      error: endPeer,
    };
    this.listener = Bun.listen<Side>({
      hostname: "127.0.0.1",
      port: this.port,
      socket: {
        async open(client) {
          client.data = { pending: [], delayed: [] };
          sockets.add(client);
          try {
            const upstream = await Bun.connect<Side>({
              hostname: target.host,
              port: target.port,
              socket: upstreamHandlers,
              data: { peer: client, pending: [], delayed: [] },
            });
            sockets.add(upstream);
            // Bytes the client sent before the upstream connected wait in its own queue.
            const early = client.data.pending;
            client.data = { peer: upstream, pending: [], delayed: [] };
            for (const chunk of early) send(upstream, chunk);
          } catch {
            client.end();
          }
        },
        data(client, chunk) {
          if (client.data.peer) send(client.data.peer, chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        drain: flush,
        close(client) {
          sockets.delete(client);
          client.data.peer?.end();
        },
        error(client) {
          client.data.peer?.end();
        },
      },
    });
  }

  /** Stops listening and drops every relayed connection: the dependency looks dead. */
  stop(): void {
    this.listener?.stop(true);
    this.listener = undefined;
    for (const socket of this.sockets) socket.end();
    this.sockets.clear();
  }
}

/** A started relay on `port` to the server a redis:// or mongodb:// URL names. */
export function relayTo(url: string, port: number): TcpProxy {
  const target = new URL(url);
  const proxy = new TcpProxy(port, { host: target.hostname, port: Number(target.port) });
  proxy.start();
  return proxy;
}

/** Started relays to a Redis and a MongoDB-wire server (their URLs), on the ports given. */
export function relaysTo(
  urls: { REDIS_URL: string; MONGODB_URI: string },
  ports: [number, number],
): { redisProxy: TcpProxy; mongoProxy: TcpProxy } {
  return { redisProxy: relayTo(urls.REDIS_URL, ports[0]), mongoProxy: relayTo(urls.MONGODB_URI, ports[1]) };
}
