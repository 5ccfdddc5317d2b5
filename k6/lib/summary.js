// A readable text report next to the JSON one: what a tester reads first.
function fmt(value) {
  return typeof value === "number"
    ? Number.isInteger(value)
      ? String(value)
      : value.toFixed(2)
    : String(value);
}

export function textReport(data, title) {
  const lines = [`${title}`, "=".repeat(title.length)];
  const thresholds = [];
  for (const [name, metric] of Object.entries(data.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    const values = Object.entries(metric.values)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(" ");
    lines.push(`${name.padEnd(34)} ${values}`);
    for (const [expr, result] of Object.entries(metric.thresholds || {})) {
      thresholds.push(`${result.ok ? "PASS" : "FAIL"}  ${name}: ${expr}`);
    }
  }
  const failed = [];
  const walk = (group) => {
    for (const c of group.checks || [])
      if (c.fails > 0) failed.push(`FAILED CHECK  ${c.name} (${c.fails}/${c.passes + c.fails})`);
    for (const g of group.groups || []) walk(g);
  };
  walk(data.root_group || {});
  lines.push(
    "",
    "Thresholds (the product's promises):",
    ...(thresholds.length ? thresholds : ["(none)"]),
    ...failed,
  );
  return `${lines.join("\n")}\n`;
}

/** handleSummary for every scenario: text on stdout, JSON and text files when SUMMARY_DIR is set. */
export function summarize(name) {
  return (data) => {
    const text = textReport(data, `k6 ${name}`);
    const out = { stdout: text };
    const dir = __ENV.SUMMARY_DIR;
    if (dir) {
      out[`${dir}/${name}.json`] = JSON.stringify(data, null, 2);
      out[`${dir}/${name}.txt`] = text;
    }
    return out;
  };
}
