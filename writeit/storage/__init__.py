"""LMDB event store: the append-only log, its derived snapshots and indexes, migrations."""
