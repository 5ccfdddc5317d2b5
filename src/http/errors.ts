export interface FieldError {
  field: string;
  message: string;
}

/** An error meant for the person who sent the request: its status and message are shown as they are. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (message: string, errors?: FieldError[]) => new AppError(400, message, errors);
export const notFound = (message: string) => new AppError(404, message);
export const unavailable = (message: string, retryAfterSeconds = 2) =>
  new AppError(503, message, undefined, { "Retry-After": String(retryAfterSeconds) });

export interface ErrorEnvelope {
  status: "error";
  statusCode: number;
  message: string;
  errors?: FieldError[];
  timestamp: string;
  path: string;
  method: string;
}

export function errorEnvelope(
  request: Request,
  status: number,
  message: string,
  errors?: FieldError[],
): ErrorEnvelope {
  const url = new URL(request.url);
  return {
    status: "error",
    statusCode: status,
    message,
    ...(errors && errors.length > 0 ? { errors } : {}),
    timestamp: new Date().toISOString(),
    path: url.pathname + url.search,
    method: request.method,
  };
}

/**
 * A 4xx AppError as messages for a form (next to `field`, or to the fields the error
 * names); anything else is not the person's to fix and is rethrown.
 */
export function formErrors(error: unknown, field: string): FieldError[] {
  if (error instanceof AppError && error.status >= 400 && error.status < 500) {
    return error.errors ?? [{ field, message: error.message }];
  }
  throw error;
}
