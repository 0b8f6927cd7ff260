/**
 * How long Kafka work waits, derived from `redpanda_config.message_timeout_ms`: the admin executor
 * (kafkajs) and the ingest producer (./producer-thread.ts) use the same bounds. No client is loaded here.
 */
import type { Config } from "../../config/types.js";

export interface KafkaTimeouts {
  /** TCP connect to one broker. */
  connectionMs: number;
  /** One request (the broker-side operation timeout is half of it). */
  requestMs: number;
  /** How often a failed request is retried before giving up. */
  retries: number;
}

export function kafkaTimeouts(config: Config["redpanda_config"], overrides: Partial<KafkaTimeouts> = {}): KafkaTimeouts {
  const base = Math.max(100, config.message_timeout_ms);
  return { connectionMs: base, requestMs: Math.max(5000, 5 * base), retries: 2, ...overrides };
}
