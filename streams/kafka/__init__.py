"""The Kafka adapters' shared pieces: their settings and their clients' security options."""
