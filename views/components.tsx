import type { FieldError } from "../src/http/errors";

/** The message for one form field, shown next to it. */
export function FieldErrors(props: { errors: FieldError[]; field: string }) {
  return (
    <>
      {props.errors
        .filter((e) => e.field === props.field)
        .map((e) => (
          <span class="field-error" safe>
            {e.message}
          </span>
        ))}
    </>
  );
}

/** A row's delete button: asks first, then removes the row in place. */
export function DeleteButton(props: { url: string; row: string; confirm: string }) {
  return (
    <button
      type="button"
      class="secondary"
      hx-delete={props.url}
      hx-target={`#${props.row}`}
      hx-swap="outerHTML"
      hx-confirm={props.confirm}
    >
      Delete
    </button>
  );
}
