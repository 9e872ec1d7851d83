/**
 * The bounds on everything a worker can send. They keep one crawl's state and every envelope
 * small enough to fan out to thousands of connections.
 */
export const PROGRESS_LIMITS = {
  /** Longest crawl id, in characters. */
  crawlIdMaxLength: 128,
  /** Most urls in one `discovery` input. */
  urlsPerDiscovery: 1_000,
  /** Longest url in a `discovery` input, in characters. */
  urlMaxLength: 2_048,
  /** Largest `stats` (complete) or `error` payload, in bytes of UTF-8 JSON. */
  payloadMaxBytes: 16 * 1024,
  /** Most inputs in one `publishBatch` call. */
  batchMaxInputs: 1_000,
  /** Longest error code, in characters. */
  errorCodeMaxLength: 128,
} as const

/** Crawl ids are safe in Redis keys ({hash tags}), URL paths and log lines. */
export const CRAWL_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/

/** Epochs are short lowercase base-36 tokens, so `<epoch>:<seq>` parses without ambiguity. */
export const EPOCH_PATTERN = /^[a-z0-9]{1,32}$/
