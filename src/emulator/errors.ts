/**
 * A Tencent Cloud API 3.0 business error. The server turns it into
 * `{"Response":{"Error":{"Code","Message"},"RequestId"}}` with HTTP 200, which is how the
 * real API answers every business error (facts/tencent-cloud-api.md §4.3).
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Thrown by a fault that must look like a broken TCP connection rather than an API answer. */
export class DropConnection extends Error {
  constructor() {
    super('connection dropped by fault injection');
    this.name = 'DropConnection';
  }
}
