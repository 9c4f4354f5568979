"""Dialer adapters: the Protocol and its simulated twin."""
