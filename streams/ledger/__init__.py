"""The outcomes ledger: the tickets behind every figure, in a real database (docs/ledger.md).

| module | its one job |
|---|---|
| `schema.py` | the tables (one per record kind), their keys; SQL to create, upsert, prune |
| `query.py` | a reader's filter (kind, team, target, outcome, agent, time) and its SELECT |
| `store.py` | `open_store(path or URL)`; the statements both databases share |
| `sqlite.py`, `postgres.py` | connecting and transactions: sqlite3 (embedded), psycopg 3 |
| `sink.py` | `Ledger`, the engine's `RecordSink`: batches, retries, retention |
| `output.py` | rows as CSV or JSON, with a link to each ticket |
| `options.py` | the `--ledger` options of serve, demo and replay |
| `http.py` | `GET /v1/outcomes` and `GET /v1/tickets/{ticket_id}` for serve |
"""
