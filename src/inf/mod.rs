//! INF decoding, tokenising and queries.
