"""Retrieval, answering and the HTTP API: everything that reads the index."""
