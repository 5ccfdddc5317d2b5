import {
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type FindCursor,
  type IndexDescription,
  MongoClient,
  type ObjectId,
} from "mongodb";
import type { Logger } from "./log";
import { type ProbeResult, probe } from "./probe";

export interface IndexSpec {
  collection: string;
  key: IndexDescription["key"];
  options?: Omit<IndexDescription, "key">;
}

const RETRY_MAX_MS = 5000;
/** How often a ready client checks that it still reaches its server. */
const WATCH_EVERY_MS = 5000;
/** Failed checks in a row after which a fresh connection is tried beside it. */
const REVIVE_AFTER = 2;

/** The MongoDB connection of one instance; it keeps trying in the background until the server answers. */
/** How one instance talks to MongoDB: the settings that matter most across a wide-area link. */
export interface MongoLink {
  socketTimeoutMs?: number;
  connectTimeoutMs?: number;
  poolSize?: number;
}

export class Mongo {
  readonly client: MongoClient;
  readonly db: Db;
  private ready = false;
  private closed = false;
  private becameReady: () => void = () => undefined;
  private readonly whenReady = new Promise<void>((resolve) => {
    this.becameReady = resolve;
  });
  private watch: ReturnType<typeof setInterval> | null = null;
  private failedChecks = 0;
  private reviving = false;
  /** Times the client was closed and connected again because a fresh one reached the server (below). */
  revivals = 0;
  private readonly selectionMs: number;

  constructor(
    private readonly uri: string,
    dbName: string,
    private readonly appName: string,
    private readonly indexes: readonly IndexSpec[],
    private readonly log: Logger,
    link: MongoLink = {},
  ) {
    const connectTimeoutMS = link.connectTimeoutMs ?? 3000;
    this.selectionMs = Math.max(2000, connectTimeoutMS);
    this.client = new MongoClient(uri, {
      appName,
      // A TLS handshake to Atlas across a wide-area link takes several round trips: selection
      // waits at least as long as one connection may take to open.
      serverSelectionTimeoutMS: Math.max(2000, connectTimeoutMS),
      connectTimeoutMS,
      // An answer this late counts as the database being away (a 503), never a hang.
      socketTimeoutMS: link.socketTimeoutMs ?? 20_000,
      maxPoolSize: link.poolSize ?? 50,
      // Exactness across a replica-set election (Atlas), whatever the URI says: a write is
      // acknowledged only once a majority holds it (so an election cannot roll it back), a
      // write interrupted by an election is retried once by the driver, and every read, the
      // door's rebuilds among them, sees the primary's latest writes.
      writeConcern: { w: "majority" },
      retryWrites: true,
      readPreference: "primary",
    });
    this.db = this.client.db(dbName);
  }

  /** True once connected and every index exists. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Whether it is ready, or becomes so within `ms` (a request arriving as the instance starts waits that long). */
  async readyWithin(ms: number): Promise<boolean> {
    return this.ready || (await probe(() => this.whenReady, ms)).up;
  }

  /** Resolves when connected and indexed; a missing server means retries with backoff, never a crash. */
  async start(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.client.connect();
        await ensureIndexes(this.db, this.indexes);
        this.ready = true;
        this.becameReady();
        this.log.info({ db: this.db.databaseName, indexes: this.indexes.length }, "mongodb connected");
        this.watchClient();
        return;
      } catch (error) {
        const wait = Math.min(250 * 2 ** attempt, RETRY_MAX_MS);
        this.log.warn(
          { err: errorMessage(error), attempt, retryInMs: wait },
          "mongodb not ready yet (unreachable, or an index cannot be created)",
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  ping(timeoutMs: number): Promise<ProbeResult> {
    return probe(() => this.db.command({ ping: 1 }), timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watch) clearInterval(this.watch);
    await this.client.close();
  }

  /**
   * Seen under Bun with FerretDB: a server cut off in the middle of the driver's heartbeat left
   * that heartbeat waiting for ever, so the client never saw the server come back (every
   * operation failed server selection) while a new client reached it at once. A client that
   * fails its checks for REVIVE_AFTER rounds, while a fresh one reaches the same server, is
   * closed and connected again: the same object, so every holder of `db` keeps working.
   */
  private watchClient(): void {
    this.watch ??= setInterval(() => void this.checkClient(), WATCH_EVERY_MS);
    (this.watch as { unref?: () => void }).unref?.();
  }

  private async checkClient(): Promise<void> {
    if (this.closed || this.reviving) return;
    if ((await this.ping(this.selectionMs)).up) {
      this.failedChecks = 0;
      return;
    }
    if (++this.failedChecks < REVIVE_AFTER) return;
    this.reviving = true;
    try {
      // The server is really away: the driver's own retries are what is needed, not a new client.
      if (this.closed || !(await this.freshClientReaches())) return;
      this.log.warn(
        { failedChecks: this.failedChecks },
        "mongodb client stuck while the server answers; reconnecting it",
      );
      await this.client.close();
      if (this.closed) return;
      await this.client.connect();
      this.failedChecks = 0;
      this.revivals++;
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, "mongodb client reconnection failed; trying again");
    } finally {
      this.reviving = false;
    }
  }

  private async freshClientReaches(): Promise<boolean> {
    const fresh = new MongoClient(this.uri, {
      appName: `${this.appName}:check`,
      serverSelectionTimeoutMS: this.selectionMs,
      connectTimeoutMS: this.selectionMs,
      maxPoolSize: 1,
    });
    try {
      await fresh.connect();
      return (await probe(() => fresh.db(this.db.databaseName).command({ ping: 1 }), this.selectionMs)).up;
    } catch {
      return false;
    } finally {
      await fresh.close().catch(() => undefined);
    }
  }
}

/**
 * Creating an index that already exists with the same options is a no-op, so this runs on
 * every start: the collections at once, one index at a time within each (scans wait for it:
 * 26 round trips one after another are nothing on loopback, most of a second to Atlas). One index per command: FerretDB 1.24 drops the connection on a createIndexes of
 * several that all exist already.
 */
export async function ensureIndexes(db: Db, specs: readonly IndexSpec[]): Promise<void> {
  const byCollection = new Map<string, IndexSpec[]>();
  for (const spec of specs)
    byCollection.set(spec.collection, [...(byCollection.get(spec.collection) ?? []), spec]);
  await Promise.all(
    [...byCollection].map(async ([name, list]) => {
      for (const { key, options } of list) await db.collection(name).createIndex(key, options ?? {});
    }),
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Update statements per command (see bulkWriteInSteps). */
const STATEMENTS_PER_COMMAND = 20;

/**
 * A bulk write sent a few statements per command, in order. FerretDB 1.x holds a pooled
 * connection for each update statement until its whole command ends (and takes another to
 * write each document back), so one command of hundreds of updates takes every connection
 * and waits for ever. Unordered within a step, as `ordered: false`.
 */
export async function bulkWriteInSteps<T extends Document>(
  collection: Collection<T>,
  operations: AnyBulkWriteOperation<T>[],
  /** A pause between steps, for background work that must not crowd out the doors. */
  pauseMs = 0,
): Promise<void> {
  for (let i = 0; i < operations.length; i += STATEMENTS_PER_COMMAND) {
    if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await collection.bulkWrite(operations.slice(i, i + STATEMENTS_PER_COMMAND), { ordered: false });
  }
}

/**
 * Every document a query finds, fetched `batch` at a time with a pause between batches: for
 * background reads, so FerretDB never spends a burst on them while doors wait.
 */
export async function pacedRead<T>(cursor: FindCursor<T>, batch: number, pauseMs: number): Promise<T[]> {
  const found: T[] = [];
  for await (const doc of cursor.batchSize(batch)) {
    found.push(doc);
    if (found.length % batch === 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return found;
}

/** Each id once, in first-seen order (ObjectIds are objects: equal ids are not one Set entry). */
export function distinctIds(ids: ObjectId[]): ObjectId[] {
  return [...new Map(ids.map((id) => [id.toHexString(), id])).values()];
}

/**
 * FerretDB's duplicate-key errors do not name the index, so callers look up which key
 * clashed; on updates FerretDB 1.x reports them as InternalError with PostgreSQL's text.
 */
export function isDuplicateKey(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: number; message?: string };
  return (
    code === 11000 || (code === 1 && /duplicate key value violates unique constraint/.test(message ?? ""))
  );
}

const UNREACHABLE = new Set([
  "MongoServerSelectionError",
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoTopologyClosedError",
  // Between a stuck client's close and its reconnection (Mongo.checkClient).
  "MongoNotConnectedError",
  "MongoPoolClearedError",
  "PoolClearedError",
  "PoolClearedOnNetworkError",
]);

/** The database could not be reached (down, restarting, cut off), as opposed to a refused request. */
export function isDatabaseUnreachable(error: unknown, depth = 0): boolean {
  const { name, message, cause, errorResponse } = (error ?? {}) as {
    name?: string;
    message?: string;
    cause?: unknown;
    errorResponse?: unknown;
  };
  const inner = (wrapped: unknown) =>
    depth < 3 && wrapped !== undefined && wrapped !== error && isDatabaseUnreachable(wrapped, depth + 1);
  // FerretDB answers, but its PostgreSQL does not (refused, shutting down, starting up, cut).
  // A bulk write (insertMany) wraps the network error (as its cause, or its errorResponse when
  // the connection closed under it): its message and what it wraps still say so.
  return (
    UNREACHABLE.has(name ?? "") ||
    /connect(ion)? refused|ECONNREFUSED|ECONNRESET|failed to connect to|connection \d+ to \S+ closed|SQLSTATE (08|57P0)|database system is (shutting down|starting up)/i.test(
      message ?? "",
    ) ||
    inner(cause) ||
    inner(errorResponse)
  );
}
