/**
 * The bounds on everything a worker can send. They keep one crawl's state, every envelope, every
 * published message and every crawl's history small enough to fan out to thousands of
 * connections, and well under Redis's defaults (32 MB pub/sub output buffer per subscriber
 * connection, 512 MB per string).
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
  /**
   * Largest envelope, in bytes of UTF-8 JSON: its payload plus the fields every envelope has
   * (at most `envelopeFrameMaxBytes` and the crawl id).
   */
  envelopeMaxBytes: 64 * 1024,
  /**
   * Largest sum of the envelopes one call appends: one script reply and one published message.
   */
  batchMaxBytes: 1024 * 1024,
  /** Most inputs in one `publishBatch` call. */
  batchMaxInputs: 1_000,
  /** Longest error code, in characters. */
  errorCodeMaxLength: 128,
  /** Longest `detail.message` of a progress input, in characters. */
  detailMessageMaxLength: 500,
  /** Longest `detail.phase` of a progress input, in characters. */
  detailPhaseMaxLength: 64,
  /** Longest caller-supplied operation id, in characters. */
  operationIdMaxLength: 128,
  /**
   * Bytes of an envelope's JSON besides its payload and crawl id, at most: braces, field names,
   * epoch, tag, type and every number at its longest.
   */
  envelopeFrameMaxBytes: 320,
} as const

/** The largest value any counter may reach: totals stay exact in JavaScript and in JSON. */
export const MAX_TOTAL = Number.MAX_SAFE_INTEGER

/** Crawl ids are safe in Redis keys ({hash tags}), URL paths and log lines. */
export const CRAWL_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/

/** What CRAWL_ID_PATTERN asks for, in words, as validation errors say it. */
export const CRAWL_ID_RULE =
  'must be 1 to 128 characters of letters, digits, "_", "-", "." or ":" (no braces, spaces, slashes or control characters)'

/** Epochs are short lowercase base-36 tokens, so `<epoch>:<seq>:<tag>` parses without ambiguity. */
export const EPOCH_PATTERN = /^[a-z0-9]{1,32}$/

/** Event tags, the third part of a position (`<epoch>:<seq>:<tag>`): lowercase base-36. */
export const TAG_PATTERN = /^[a-z0-9]{1,16}$/

/**
 * Caller-supplied operation ids: 1 to 128 printable ASCII characters without spaces, for
 * example a job id and a page index (`job-381:page-12`).
 */
export const OPERATION_ID_PATTERN = /^[\x21-\x7e]{1,128}$/
