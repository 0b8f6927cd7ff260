/**
 * How much one produce request may carry. A client puts a request's records for one partition into
 * one record batch, and a broker refuses a batch over the topic's `max.message.bytes` (1 MiB by
 * default) whole: requests carry at most REQUEST_BYTES, counting each record's value and key and
 * RECORD_FRAMING_BYTES for its framing in the batch (length, attributes, timestamp and offset
 * deltas, header count: at most 23 bytes as varints), so that tiny records stay under the limit
 * too and only a record too large by itself can be refused for its size. No client is loaded here.
 */
export const REQUEST_BYTES = 768 * 1024;
export const RECORD_FRAMING_BYTES = 24;
