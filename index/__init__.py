"""Ingestion and the store: everything that writes the index."""
