"""How clients reach Ringback: the Python entry point, the CLI (and later the HTTP API)."""
