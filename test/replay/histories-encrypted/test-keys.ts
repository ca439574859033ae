/**
 * The key the histories under this directory were encrypted with (test/integration/codec.test.ts records them
 * with RECORD_HISTORIES=1), so replay.test.ts can decode them. A test key, never used anywhere else.
 */
export const TEST_CODEC_KEYS = 'itest1:gdc/LN6t4TtCijYmmqQnzd7/QD7vEYAc/fUo0C3jMqI=';
