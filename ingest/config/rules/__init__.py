"""The rules ``ingest validate`` applies to a config on its own (schema, semantics, finders)."""
