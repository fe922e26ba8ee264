"""The HTTP ingestion of contract section 5, shared by ``serve`` (journal + engine) and
``ingest`` (Kafka): routes in app.py, token and signatures in auth.py, bodies in bodies.py."""
