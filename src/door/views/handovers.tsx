import { fmtDateTime } from "../../../views/components";
import { Layout } from "../../../views/layout";
import { t, tAttr } from "../../web/reader";
import type { HandoverDoc } from "../handover";
import { HANDOVERS } from "../paths";

const STATUS = {
  waiting: "waiting",
  replayed: "replayed",
  discarded: "discarded",
  refused: "refused",
} as const;

/** One handed-over queue: whose, how many, and what became of it. */
export function HandoverRow(props: { doc: HandoverDoc }) {
  const { doc } = props;
  const id = String(doc._id);
  return (
    <li id={`handover-${id}`} class={`handover ${doc.status}`} data-status={doc.status}>
      <p>
        <strong safe>{doc.queuedBy.name || doc.queuedBy.account}</strong>{" "}
        {t("{n} scans queued, handed over by {name} at {time}", {
          n: doc.scans.length,
          name: doc.handedOverBy.name,
          time: fmtDateTime(doc.at),
        })}{" "}
        · <span class="status">{t(STATUS[doc.status])}</span>
      </p>
      {doc.refusal ? (
        <p class="error" safe>
          {doc.refusal}
        </p>
      ) : (
        ""
      )}
      {doc.results?.length ? (
        <ul class="results">
          {doc.results.map((r, i) => (
            <li data-outcome={r.outcome}>
              <span
                safe
              >{`${doc.scans[i]?.direction ?? ""} · ${fmtDateTime(doc.scans[i]?.scannedAt ?? doc.at)} · ${r.message}`}</span>
            </li>
          ))}
        </ul>
      ) : (
        ""
      )}
      {doc.status === "waiting" ? (
        <div class="actions">
          <form hx-post={HANDOVERS.replay({ id })} hx-target={`#handover-${id}`} hx-swap="outerHTML">
            <button type="submit">{t("Replay them")}</button>
          </form>
          <form hx-post={HANDOVERS.discard({ id })} hx-target={`#handover-${id}`} hx-swap="outerHTML">
            <button type="submit" class="secondary">
              {t("Discard them")}
            </button>
          </form>
        </div>
      ) : (
        ""
      )}
    </li>
  );
}

export function HandoversPage(props: { docs: HandoverDoc[] }) {
  return (
    <Layout title={tAttr("Handed-over scans")}>
      <h1>{t("Handed-over scans")}</h1>
      <p class="meta">
        {t(
          "Scans a door device queued under one account while someone else was signed in on it. Replay sends each as it was queued, at its own time; nothing is sent under the name of the person who handed them over.",
        )}
      </p>
      {props.docs.length === 0 ? (
        <p>{t("No scans were handed over.")}</p>
      ) : (
        <ul class="handovers">
          {props.docs.map((doc) => (
            <HandoverRow doc={doc} />
          ))}
        </ul>
      )}
    </Layout>
  );
}
