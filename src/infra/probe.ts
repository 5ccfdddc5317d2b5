// A dependency check bounded in time, so a hung server never hangs a health answer.
export interface ProbeResult {
  up: boolean;
  latencyMs: number;
  error?: string;
}

export async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { up: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      up: false,
      latencyMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}
