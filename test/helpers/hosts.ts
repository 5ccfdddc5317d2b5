// Several hosts on this one machine: a network namespace per host, each joined to one bridge
// by a veth pair, each with an address of its own on a private /24. The test process reaches
// them through the bridge; "pulling a host's cable" is setting its end of the pair down.
// Every name carries a random tag, so a run never touches another run's (or the machine's) links.

const sh = (args: string[]) => {
  const result = Bun.spawnSync(args, { stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${args.join(" ")}: ${result.stderr.toString().trim()}`);
};

export interface Hosts {
  /** The host's address on the shared network. */
  address: (host: string) => string;
  /** A command run inside the host's namespace. */
  inside: (host: string, command: string[]) => string[];
  namespace: (host: string) => string;
  /** Cuts the host off the network (its cable pulled), or puts it back. */
  link: (host: string, up: boolean) => void;
  /** Kills what still runs in the namespaces and removes them and the bridge. */
  destroy: () => void;
}

export function createHosts(names: string[]): Hosts {
  const tag = Math.random().toString(36).slice(2, 6);
  // A /24 no route of this machine already covers (10.200.0.0–10.249.255.0).
  const routes = Bun.spawnSync(["ip", "route"]).stdout.toString();
  const taken = (candidate: string) => routes.includes(`${candidate}.`);
  let subnet = "";
  for (let tries = 0; tries < 50 && (subnet === "" || taken(subnet)); tries++)
    subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
  const bridge = `ckb${tag}`;
  const index = new Map(names.map((name, i) => [name, i + 1]));
  const at = (host: string) => {
    const n = index.get(host);
    if (n === undefined) throw new Error(`no host ${host}`);
    return n;
  };
  const namespace = (host: string) => `ck${tag}-${host}`;
  const outer = (host: string) => `ck${tag}${at(host)}a`;
  const destroy = () => {
    for (const host of names) {
      const ns = namespace(host);
      const pids = Bun.spawnSync(["ip", "netns", "pids", ns]).stdout.toString().split(/\s+/).filter(Boolean);
      for (const pid of pids) Bun.spawnSync(["kill", "-9", pid]);
      Bun.spawnSync(["ip", "netns", "del", ns]);
    }
    Bun.spawnSync(["ip", "link", "del", bridge]);
  };
  try {
    sh(["ip", "link", "add", bridge, "type", "bridge"]);
    sh(["ip", "addr", "add", `${subnet}.254/24`, "dev", bridge]);
    sh(["ip", "link", "set", bridge, "up"]);
    for (const host of names) {
      const ns = namespace(host);
      const inner = `ck${tag}${at(host)}b`;
      sh(["ip", "netns", "add", ns]);
      sh(["ip", "link", "add", outer(host), "type", "veth", "peer", "name", inner]);
      sh(["ip", "link", "set", outer(host), "master", bridge, "up"]);
      sh(["ip", "link", "set", inner, "netns", ns]);
      sh(["ip", "-n", ns, "addr", "add", `${subnet}.${at(host)}/24`, "dev", inner]);
      sh(["ip", "-n", ns, "link", "set", inner, "up"]);
      sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    address: (host) => `${subnet}.${at(host)}`,
    inside: (host, command) => ["ip", "netns", "exec", namespace(host), ...command],
    namespace,
    link: (host, up) => sh(["ip", "link", "set", outer(host), up ? "up" : "down"]),
    destroy,
  };
}
