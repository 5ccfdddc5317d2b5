import type { Logger } from "./log";

// systemd's watchdog (WatchdogSec= in the unit): while this process's event loop turns, it
// tells systemd it is alive, at half the period systemd gives; a process that hangs (stopped,
// or stuck in a loop) stops telling, and systemd kills and restarts it. Bun has no datagram
// socket for NOTIFY_SOCKET, so the message is sent by `systemd-notify` (the unit allows
// messages from its children: NotifyAccess=all).

/** Starts the pings when systemd asks for them (WATCHDOG_USEC set); returns how to stop them. */
export function startWatchdog(log: Logger, env = process.env): () => void {
  const usec = Number(env.WATCHDOG_USEC ?? 0);
  if (!env.NOTIFY_SOCKET || !Number.isFinite(usec) || usec <= 0) return () => {};
  const everyMs = Math.max(1000, Math.floor(usec / 2000));
  const ping = () => {
    try {
      Bun.spawn(["systemd-notify", "WATCHDOG=1"], { stdout: "ignore", stderr: "ignore" });
    } catch (error) {
      log.warn({ err: String(error) }, "watchdog ping not sent");
    }
  };
  ping();
  const timer = setInterval(ping, everyMs);
  log.info({ everyMs }, "systemd watchdog on");
  return () => clearInterval(timer);
}
