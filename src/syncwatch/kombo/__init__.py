"""Kombo: the webhook receiver, applying events to facts, pulling through the API."""
