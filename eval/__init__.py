"""Evaluation harness: measures through the same code path users hit."""
