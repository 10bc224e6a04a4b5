"""Sharing: links that reopen a view, snapshots that carry its numbers, and copy as Python."""
